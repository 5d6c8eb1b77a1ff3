package dev.pyspy.model;

import java.util.List;

/**
 * One pending asyncio task at one instant, as {@code dump --async-aware} shows it.
 *
 * @param pid        process the task lives in
 * @param id         the task object's address: what {@code awaitedBy} and {@code waitingOn} name
 * @param name       the task's name ({@code Task.get_name()})
 * @param running    true when its coroutine was executing on a thread (then {@code frames} are that
 *                   thread's, up to the task's coroutine); false when suspended
 * @param threadId   the interpreter's id of the thread running it, 0 when suspended
 * @param frames     its coroutine chain, innermost first: each awaiting coroutine's frame
 * @param waitingOn  what it is suspended on, null when running or ready to run
 * @param awaitedBy  ids of the tasks waiting for this one (an {@code await}, a {@code gather}, a {@code TaskGroup})
 */
public record AsyncTask(int pid, long id, String name, boolean running, long threadId, List<Frame> frames,
                        Waiting waitingOn, List<Long> awaitedBy) {

    /**
     * What a suspended task waits on.
     *
     * @param type  the type of the awaited future ({@code _asyncio.Task}, {@code _GatheringFuture}, {@code _asyncio.Future})
     * @param tasks the tasks it resolves with: the awaited task, or a gather's children; empty for a plain future
     */
    public record Waiting(String type, List<Long> tasks) {
    }
}
