package com.timrs;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What every Java test of the Android glue needs from the outside world (the JVM tests of
 * {@link TimNative} and the Robolectric tests of the React Native module share this file): a real
 * tim-server on a free loopback port, read from its listening line; tickets from the tim-usersig
 * CLI; and the fields of a JSON answer. The binaries come from the folder in the {@code
 * tim.bin.dir} system property (the run.sh scripts set it).
 */
final class TimServer implements AutoCloseable {
    /** Every wait for a process or a callback gives up after this: a loss fails, never hangs. */
    static final long WAIT_SECONDS = 10;

    /** The server's {@code ws://} URL. */
    final String url;

    private final Process process;
    private final long app;
    private final String key;

    /** Starts tim-server serving {@code app} with {@code key}; its log goes to {@code log}. */
    TimServer(long app, String key, File log) throws IOException {
        this.app = app;
        this.key = key;
        process = new ProcessBuilder(bin("tim-server").getPath(),
                        "--listen", "127.0.0.1:0", "--app", app + ":" + key, "--ephemeral")
                .redirectError(log)
                .start();
        String first = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        if (first == null || !first.startsWith("listening on ")) {
            process.destroy();
            throw new IOException("tim-server did not start: " + first + " (see " + log + ")");
        }
        url = first.substring("listening on ".length()).trim();
    }

    /** A ticket for {@code user} signed with the server's key. */
    String ticket(String user) throws IOException, InterruptedException {
        return ticket(app, key, user);
    }

    /** A ticket from the tim-usersig CLI, signed with {@code key}. */
    static String ticket(long app, String key, String user) throws IOException, InterruptedException {
        Process gen = new ProcessBuilder(bin("tim-usersig").getPath(), "gen",
                        "--sdkappid", Long.toString(app), "--key", key, "--user", user)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String sig = new String(gen.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!gen.waitFor(WAIT_SECONDS, TimeUnit.SECONDS) || gen.exitValue() != 0 || sig.isEmpty()) {
            throw new IOException("tim-usersig gen failed");
        }
        return sig;
    }

    /** A binary of the project, from {@code tim.bin.dir}. */
    static File bin(String name) {
        String dir = System.getProperty("tim.bin.dir");
        if (dir == null) {
            throw new IllegalStateException("set -Dtim.bin.dir (run.sh does)");
        }
        return new File(dir, name);
    }

    /**
     * The raw text of a top-level field of a flat JSON object (compact, from serde_json, keys in
     * any order): {@code 0}, {@code true}, {@code null} or {@code "alice"} with its quotes.
     */
    static String field(String json, String name) {
        String value = "(\"(?:[^\"\\\\]|\\\\.)*\"|[^,}]*)";
        Matcher m = Pattern.compile("[{,]\"" + Pattern.quote(name) + "\":" + value).matcher(json);
        if (!m.find()) {
            throw new AssertionError("no " + name + " in " + json);
        }
        return m.group(1);
    }

    /** The {@code code} of an answer. */
    static long code(String resultJson) {
        return Long.parseLong(field(resultJson, "code"));
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping tim-server", e);
        }
    }
}
