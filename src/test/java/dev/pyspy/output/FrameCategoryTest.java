package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class FrameCategoryTest {

    static FrameInfo at(String file) {
        return new FrameInfo("f", file, 1, 1);
    }

    @Test
    void categoriesFollowTheFilePath() {
        assertEquals(FrameCategory.PROGRAM, FrameCategory.of(at("heavy.py")));
        assertEquals(FrameCategory.PROGRAM, FrameCategory.of(at("/home/me/app/main.py")));
        assertEquals(FrameCategory.PROGRAM, FrameCategory.of(at("<string>")));
        assertEquals(FrameCategory.STDLIB, FrameCategory.of(at("/usr/lib/python3.11/threading.py")));
        assertEquals(FrameCategory.STDLIB, FrameCategory.of(at("/root/.pyenv/versions/3.12.1/lib/python3.12/json/decoder.py")));
        assertEquals(FrameCategory.STDLIB, FrameCategory.of(at("/usr/local/lib/python3.13t/asyncio/events.py")));
        assertEquals(FrameCategory.STDLIB, FrameCategory.of(at("<frozen importlib._bootstrap>")));
        assertEquals(FrameCategory.STDLIB, FrameCategory.of(at("C:\\Python312\\Lib\\threading.py")));
        assertEquals(FrameCategory.THIRD_PARTY, FrameCategory.of(at("/venv/lib/python3.11/site-packages/numpy/core/x.py")));
        assertEquals(FrameCategory.THIRD_PARTY, FrameCategory.of(at("/usr/lib/python3/dist-packages/yaml/reader.py")));
        assertEquals(FrameCategory.THIRD_PARTY, FrameCategory.of(at("C:\\Python312\\Lib\\site-packages\\attr\\_make.py")));
        assertEquals(FrameCategory.OTHER, FrameCategory.of(FrameInfo.synthetic("thread (1): MainThread")));
        assertEquals(FrameCategory.OTHER, FrameCategory.of(at("ceval.c")));
        assertEquals(FrameCategory.OTHER, FrameCategory.of(at("/usr/lib/x86_64-linux-gnu/libc.so.6")));
        assertEquals(FrameCategory.OTHER, FrameCategory.of(null));
    }

    @Test
    void theCategoryComesFromTheFullPathWhateverTheLabelShows() {
        FrameInfo shortName = new FrameInfo("run", "threading.py", 975, 970, "/usr/lib/python3.11/threading.py");
        assertEquals(FrameCategory.STDLIB, FrameCategory.of(shortName));
        assertEquals(FrameCategory.STDLIB.color("run"), FrameCategory.color(shortName));
        FrameInfo numpy = new FrameInfo("dot", "numpy/core/multiarray.py", 10, 8,
                "/venv/lib/python3.11/site-packages/numpy/core/multiarray.py");
        assertEquals(FrameCategory.THIRD_PARTY, FrameCategory.of(numpy));
    }

    @Test
    void sameFunctionNameHasTheSameColourInEveryFile() {
        String c1 = FrameCategory.color(new FrameInfo("heavy_a", "heavy.py", 5, 3));
        String c2 = FrameCategory.color(new FrameInfo("heavy_a", "other/place.py", 99, 90));
        assertEquals(c1, c2);
        // Another profile, another JVM run: the colour is a pure function of the name (fixed FNV-1a).
        assertEquals(c1, FrameCategory.PROGRAM.color("heavy_a"));
        assertEquals(FrameCategory.PROGRAM.color("heavy_a"), FrameCategory.PROGRAM.color(new String("heavy_a")));
    }

    @Test
    void colourHashIsFixedByTheCodeNotTheJvm() {
        // Pinned values: changing the hash changes every user's colours, so it must be deliberate.
        assertEquals("rgb(239,180,88)", FrameCategory.PROGRAM.color("heavy_a"));
        assertNotEquals(FrameCategory.fnv1a("heavy_a"), FrameCategory.fnv1a("heavy_b"));
        assertEquals("rgb(255,255,255)", FrameCategory.hslToRgb(0, 0, 1));
        assertEquals("rgb(255,0,0)", FrameCategory.hslToRgb(0, 1, 0.5));
        assertEquals("rgb(0,0,255)", FrameCategory.hslToRgb(240, 1, 0.5));
    }

    @Test
    void differentFunctionsUsuallyGetDifferentShades() {
        java.util.Set<String> colours = new java.util.HashSet<>();
        for (int i = 0; i < 50; i++) {
            colours.add(FrameCategory.PROGRAM.color("function_" + i));
        }
        assertTrue(colours.size() > 30, "spread: " + colours.size());
    }

    @Test
    void eachCategoryStaysInItsHueFamily() {
        for (FrameCategory c : FrameCategory.values()) {
            for (int i = 0; i < 200; i++) {
                double hue = hue(c.color("fn" + i));
                assertTrue(hue >= c.hueMin - 4 && hue <= c.hueMax + 4,
                        c + " hue " + hue + " outside " + c.hueMin + ".." + c.hueMax);
            }
            double legendHue = hue(c.legendColor());
            assertTrue(legendHue >= c.hueMin - 1.5 && legendHue <= c.hueMax + 1.5);
        }
    }

    private static final Pattern RGB = Pattern.compile("rgb\\((\\d+),(\\d+),(\\d+)\\)");

    static double hue(String rgb) {
        Matcher m = RGB.matcher(rgb);
        assertTrue(m.matches(), rgb);
        double r = Integer.parseInt(m.group(1)) / 255.0;
        double g = Integer.parseInt(m.group(2)) / 255.0;
        double b = Integer.parseInt(m.group(3)) / 255.0;
        double max = Math.max(r, Math.max(g, b));
        double min = Math.min(r, Math.min(g, b));
        double d = max - min;
        if (d == 0) {
            return 0;
        }
        double h;
        if (max == r) {
            h = 60 * (((g - b) / d) % 6);
        } else if (max == g) {
            h = 60 * ((b - r) / d + 2);
        } else {
            h = 60 * ((r - g) / d + 4);
        }
        return h < 0 ? h + 360 : h;
    }
}
