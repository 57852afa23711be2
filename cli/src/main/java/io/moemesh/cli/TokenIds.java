package io.moemesh.cli;

import picocli.CommandLine;

/**
 * Parses "1,2,3" into token ids, with an error naming the bad entry. A record rather than int[] so picocli takes
 * the option as one value instead of a list of ints.
 */
record TokenIds(int[] ids) {
    static final class Converter implements CommandLine.ITypeConverter<TokenIds> {
    @Override
    public TokenIds convert(String value) {
        String trimmed = value.trim();
        if (trimmed.isEmpty()) {
            throw new CommandLine.TypeConversionException("no token ids given");
        }
        String[] parts = trimmed.split("\\s*,\\s*");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + parts[i] + "' is not a token id (expected e.g. 1,2,3)");
            }
            if (ids[i] < 0) {
                throw new CommandLine.TypeConversionException("token id " + ids[i] + " is negative");
            }
        }
        return new TokenIds(ids);
    }
    }
}
