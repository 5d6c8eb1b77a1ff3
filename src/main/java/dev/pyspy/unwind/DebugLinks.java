package dev.pyspy.unwind;

import dev.pyspy.PyspyException;
import dev.pyspy.process.ElfFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * A file's separate debug file named by its {@code .gnu_debuglink}, where gdb looks for it: beside
 * the file, in its {@code .debug} directory, and under {@code /usr/lib/debug} plus the file's
 * directory. A candidate counts only if its CRC-32 is the one the link records (a stale debug file
 * would give wrong lines).
 */
final class DebugLinks {

    static final Path GLOBAL_DEBUG_DIRECTORY = Path.of("/usr/lib/debug");

    private DebugLinks() {
    }

    /** The linked debug file of {@code elf}, opened from {@code file}'s directory or the global one; null if none matches. */
    static ElfFile find(ElfFile elf, Path file) throws PyspyException {
        Optional<ElfFile.DebugLink> link = elf.debugLink();
        Path dir = file.toAbsolutePath().getParent();
        if (link.isEmpty() || dir == null) {
            return null;
        }
        List<Path> candidates = new ArrayList<>();
        candidates.add(dir.resolve(link.get().fileName()));
        candidates.add(dir.resolve(".debug").resolve(link.get().fileName()));
        try {
            Path real = file.toRealPath().getParent();
            if (real != null) {
                candidates.add(GLOBAL_DEBUG_DIRECTORY.resolve(real.toString().substring(1)).resolve(link.get().fileName()));
            }
        } catch (IOException e) {
            // gone: the candidates beside it fail too
        }
        for (Path p : candidates) {
            if (Files.isRegularFile(p) && !isSameFile(p, file) && crc(p) == link.get().crc()) {
                return ElfFile.open(p);
            }
        }
        return null;
    }

    private static boolean isSameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    private static int crc(Path p) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            CRC32 crc = new CRC32();
            ByteBuffer chunk = ByteBuffer.allocate(1 << 16);
            while (ch.read(chunk.clear()) > 0) {
                crc.update(chunk.flip());
            }
            return (int) crc.getValue();
        } catch (IOException e) {
            return 0;
        }
    }
}
