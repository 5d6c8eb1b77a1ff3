package dev.pyspy.python;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A CPython version and build flavour. */
public record PythonVersion(int major, int minor, int patch, String suffix, boolean freeThreaded)
        implements Comparable<PythonVersion> {

    private static final Pattern VERSION = Pattern.compile("([23])\\.(\\d{1,2})\\.(\\d{1,2})((?:a|b|rc|\\+)\\d*)?");

    public static PythonVersion of(int major, int minor, int patch) {
        return new PythonVersion(major, minor, patch, "", false);
    }

    /** Decodes {@code PY_VERSION_HEX}: 0xMMmmppLS (level: a=0xA, b=0xB, rc=0xC, final=0xF). */
    public static PythonVersion fromHex(long hex) {
        int major = (int) (hex >>> 24) & 0xff;
        int minor = (int) (hex >>> 16) & 0xff;
        int patch = (int) (hex >>> 8) & 0xff;
        int level = (int) (hex >>> 4) & 0xf;
        int serial = (int) hex & 0xf;
        String suffix = switch (level) {
            case 0xA -> "a" + serial;
            case 0xB -> "b" + serial;
            case 0xC -> "rc" + serial;
            default -> "";
        };
        return new PythonVersion(major, minor, patch, suffix, false);
    }

    /** Finds the first plausible version ("3.12.1", "2.7.18rc1") in text, or null. */
    public static PythonVersion parse(CharSequence text) {
        Matcher m = VERSION.matcher(text);
        while (m.find()) {
            int major = Integer.parseInt(m.group(1));
            int minor = Integer.parseInt(m.group(2));
            if ((major == 2 && minor == 7) || (major == 3 && minor <= 30)) {
                String suffix = m.group(4) == null ? "" : m.group(4);
                return new PythonVersion(major, minor, Integer.parseInt(m.group(3)), suffix, false);
            }
        }
        return null;
    }

    public PythonVersion withFreeThreaded(boolean ft) {
        return new PythonVersion(major, minor, patch, suffix, ft);
    }

    /** True when this is {@code major.minor} or newer. */
    public boolean atLeast(int maj, int min) {
        return major > maj || (major == maj && minor >= min);
    }

    public String majorMinor() {
        return major + "." + minor;
    }

    @Override
    public int compareTo(PythonVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) c = Integer.compare(minor, o.minor);
        if (c == 0) c = Integer.compare(patch, o.patch);
        return c;
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch + suffix + (freeThreaded ? " (free-threaded)" : "");
    }
}
