package dev.pyspy.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A process id in decimal or, as py-spy accepts, hexadecimal with a 0x prefix ({@code -p 0x103d}). */
final class PidConverter implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
        String v = value.trim();
        try {
            boolean hex = v.startsWith("0x") || v.startsWith("0X");
            return Integer.parseInt(hex ? v.substring(2) : v, hex ? 16 : 10);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a process id");
        }
    }
}
