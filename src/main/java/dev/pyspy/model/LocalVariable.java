package dev.pyspy.model;

/** A frame's argument or local variable, its value already rendered as a Python-like repr. */
public record LocalVariable(String name, boolean isArgument, String repr, long address) {
}
