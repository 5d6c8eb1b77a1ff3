package dev.pyspy.util;

import java.util.Map;
import java.util.Optional;

/**
 * The user who ran pyspy through sudo ({@code SUDO_UID}/{@code SUDO_GID}), when pyspy runs as root: what
 * pyspy does for them (a program it launches, a file it creates) is theirs, not root's.
 */
public record SudoUser(int uid, int gid) {

    /** The invoking user, if {@code euid} is root's and {@code env} names another user; else empty. */
    public static Optional<SudoUser> of(Map<String, String> env, int euid) {
        String u = env.get("SUDO_UID");
        String g = env.get("SUDO_GID");
        if (euid != 0 || u == null || g == null) {
            return Optional.empty();
        }
        try {
            int uid = Integer.parseInt(u.trim());
            int gid = Integer.parseInt(g.trim());
            return uid == 0 ? Optional.empty() : Optional.of(new SudoUser(uid, gid));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
