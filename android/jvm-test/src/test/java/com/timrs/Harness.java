package com.timrs;

import java.io.File;
import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the test and the benchmark share: a real tim-server and tickets ({@link TimServer}, shared
 * with the module's tests), and {@link Client}, a sink that turns {@link TimNative} into blocking
 * calls with timeouts. No JUnit here, so RoundTripBench runs without it.
 */
final class Harness {
    static final long APP = 1_400_000_123L;
    static final String KEY = "jvm-test-key";
    /** Every wait for a callback gives up after this, so a lost callback fails, never hangs. */
    static final long WAIT_SECONDS = TimServer.WAIT_SECONDS;

    private Harness() {}

    /** A tim-server on a free loopback port, serving app {@link #APP} with {@link #KEY}. */
    static TimServer server() throws IOException {
        return new TimServer(APP, KEY, new File("target/tim-server.log"));
    }

    /** A UserSig from the tim-usersig CLI, signed with {@code key}. */
    static String ticket(String key, String user) throws IOException, InterruptedException {
        return TimServer.ticket(APP, key, user);
    }

    /** A JSON string literal (the values here are plain ASCII; quotes and backslashes escaped). */
    static String quote(String text) {
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /** The {@code type} of an event, unquoted. */
    static String type(String eventJson) {
        String type = TimServer.field(eventJson, "type");
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
