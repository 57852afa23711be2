package io.moemesh.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** stdout in UTF-8 whatever the platform default, so JSON and streamed text survive any locale. */
final class Output {
    static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);

    private Output() {
    }

    static void println(String s) {
        OUT.println(s);
        OUT.flush();
    }
}
