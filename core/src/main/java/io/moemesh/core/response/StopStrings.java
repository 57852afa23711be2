package io.moemesh.core.response;

import java.util.List;
import java.util.Optional;

/**
 * Cuts streamed text at the first of the request's stop strings, which may arrive split over
 * several pieces. Text that could still turn out to be the start of a stop string is held back, so
 * nothing after a stop string is ever released.
 */
public final class StopStrings {

    /** What a piece released: the text safe to emit, and the stop string when this piece hit one. */
    public record Result(String text, Optional<String> matchedStop) {

        static final Result NOTHING = new Result("", Optional.empty());

        public boolean stopped() {
            return matchedStop.isPresent();
        }
    }

    private final List<String> stops;
    private String held = "";
    private boolean stopped;

    public StopStrings(List<String> stops) {
        this.stops = List.copyOf(stops);
        if (this.stops.contains("")) {
            throw new IllegalArgumentException("stop strings must not be empty: an empty stop would match before any text");
        }
    }

    public Result push(String piece) {
        if (stopped) {
            return Result.NOTHING;
        }
        String text = held + piece;
        int pending = firstPartialStart(text);
        Match match = firstMatch(text);
        // A longer stop string that began earlier may still complete, and the earliest one wins.
        if (match != null && pending >= match.at) {
            return stopAt(text, match);
        }
        held = text.substring(pending);
        return new Result(text.substring(0, pending), Optional.empty());
    }

    /**
     * Ends the text: what was held back is released, up to a stop string it already contains (held
     * because a longer stop string starting earlier might have completed, which now it cannot).
     */
    public Result flush() {
        if (stopped) {
            return Result.NOTHING;
        }
        String text = held;
        held = "";
        Match match = firstMatch(text);
        return match != null ? stopAt(text, match) : new Result(text, Optional.empty());
    }

    private Result stopAt(String text, Match match) {
        stopped = true;
        held = "";
        return new Result(text.substring(0, match.at), Optional.of(match.stop));
    }

    private record Match(int at, String stop) {
    }

    private Match firstMatch(String text) {
        Match first = null;
        for (String stop : stops) {
            int at = text.indexOf(stop);
            // At one position the shorter stop wins: a token-by-token stream completes it first.
            if (at >= 0 && (first == null || at < first.at
                    || at == first.at && stop.length() < first.stop.length())) {
                first = new Match(at, stop);
            }
        }
        return first;
    }

    /** Earliest position whose remaining text is a proper prefix of some stop string; text length if none. */
    private int firstPartialStart(String text) {
        int earliest = text.length();
        for (String stop : stops) {
            earliest = Math.min(earliest, text.length() - Holdback.length(text, stop));
        }
        return earliest;
    }
}
