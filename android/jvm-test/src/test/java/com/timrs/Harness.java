package com.timrs;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the test and the benchmark share: a real tim-server, tickets from the tim-usersig CLI,
 * and {@link Client}, a sink that turns {@link TimNative} into blocking calls with timeouts. No
 * JUnit here, so RoundTripBench runs without it.
 */
final class Harness {
    static final long APP = 1_400_000_123L;
    static final String KEY = "jvm-test-key";
    /** Every wait for a callback gives up after this, so a lost callback fails, never hangs. */
    static final long WAIT_SECONDS = 10;

    private Harness() {}

    /** The folder of the tim-server and tim-usersig binaries (system property tim.bin.dir). */
    static File binDir() {
        String dir = System.getProperty("tim.bin.dir");
        if (dir == null) {
            throw new IllegalStateException("set -Dtim.bin.dir (run.sh does)");
        }
        return new File(dir);
    }

    /** A tim-server on a free loopback port, serving app {@link #APP} with {@link #KEY}. */
    static final class Server implements AutoCloseable {
        final Process process;
        final String url;

        Server() throws IOException {
            File log = new File("target/tim-server.log");
            process = new ProcessBuilder(
                            new File(binDir(), "tim-server").getPath(),
                            "--listen", "127.0.0.1:0",
                            "--app", APP + ":" + KEY)
                    .redirectError(log)
                    .start();
            BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            if (first == null || !first.startsWith("listening on ")) {
                process.destroy();
                throw new IOException("tim-server did not start: " + first + " (see " + log + ")");
            }
            url = first.substring("listening on ".length()).trim();
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

    /** A UserSig from the tim-usersig CLI, signed with {@code key}. */
    static String ticket(String key, String user) throws IOException, InterruptedException {
        Process gen = new ProcessBuilder(
                        new File(binDir(), "tim-usersig").getPath(), "gen",
                        "--sdkappid", Long.toString(APP), "--key", key, "--user", user)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String sig = new String(gen.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!gen.waitFor(WAIT_SECONDS, TimeUnit.SECONDS) || gen.exitValue() != 0 || sig.isEmpty()) {
            throw new IOException("tim-usersig gen failed");
        }
        return sig;
    }

    /** A JSON string literal (the values here are plain ASCII; quotes and backslashes escaped). */
    static String quote(String text) {
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
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

    /** The {@code code} of a result. */
    static long code(String resultJson) {
        return Long.parseLong(field(resultJson, "code"));
    }

    /** The {@code type} of an event, unquoted. */
    static String type(String eventJson) {
        String type = field(eventJson, "type");
        return type.substring(1, type.length() - 1);
    }

    /**
     * One {@link TimNative} instance and its sink: results complete the future of their request
     * id, events queue up. What the React Native module does, minus the JS thread.
     */
    static class Client implements TimNative.Sink, AutoCloseable {
        final long handle;
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        /** Results whose request id was unknown or already answered: must stay empty. */
        final BlockingQueue<String> strays = new LinkedBlockingQueue<>();
        private final ConcurrentHashMap<Long, CompletableFuture<String>> pending =
                new ConcurrentHashMap<>();
        private final AtomicLong nextId = new AtomicLong(1);

        Client() {
            handle = TimNative.create(this);
        }

        /** Calls {@code method} on this client's handle. */
        CompletableFuture<String> callAsync(String method, String paramsJson) {
            return callAsync(handle, method, paramsJson);
        }

        /**
         * Calls {@code method} on any handle, answered through this sink. The future is registered
         * before the call: the core may answer before {@code TimNative.call} returns.
         */
        CompletableFuture<String> callAsync(long anyHandle, String method, String paramsJson) {
            long id = nextId.getAndIncrement();
            CompletableFuture<String> answer = new CompletableFuture<>();
            pending.put(id, answer);
            String now = TimNative.call(anyHandle, id, method, paramsJson);
            if (now != null) {
                pending.remove(id);
                answer.complete(now);
            }
            return answer;
        }

        String call(String method, String paramsJson) throws Exception {
            return await(callAsync(method, paramsJson));
        }

        static String await(CompletableFuture<String> answer)
                throws InterruptedException, ExecutionException, TimeoutException {
            return answer.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }

        /** {@code initSDK} for app {@link #APP} at {@code url}; returns the result. */
        String init(String url) throws Exception {
            return call("initSDK", "{\"sdkAppID\":" + APP
                    + ",\"logLevel\":0,\"config\":{\"serverUrl\":" + quote(url) + "}}");
        }

        String login(String user, String sig) throws Exception {
            return call("login", "{\"userID\":" + quote(user) + ",\"userSig\":" + quote(sig) + "}");
        }

        /** Waits for the next event of this type, skipping others. */
        String event(String type) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (true) {
                String event = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (event == null) {
                    throw new AssertionError("no " + type + " event within " + WAIT_SECONDS + " s");
                }
                if (type(event).equals(type)) {
                    return event;
                }
            }
        }

        @Override
        public void onEvent(String eventJson) {
            events.add(eventJson);
        }

        @Override
        public void onResult(long requestId, String resultJson) {
            CompletableFuture<String> answer = pending.remove(requestId);
            if (answer == null) {
                strays.add(requestId + " " + resultJson);
            } else {
                answer.complete(resultJson);
            }
        }

        @Override
        public void close() {
            TimNative.destroy(handle);
        }
    }
}
