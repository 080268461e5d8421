package com.timrs;

import com.timrs.Harness.Client;

/**
 * The cost of one call through JNI and back: {@code getLoginStatus} (answered by the core
 * without the network) from {@code TimNative.call} to {@code Sink.onResult}, sequentially, after
 * a real login. Includes the hop to a core thread and back to the waiting Java thread, which is
 * what an app's call pays. Run by {@code run.sh bench} against the release library.
 */
public final class RoundTripBench {
    private RoundTripBench() {}

    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        try (TimServer server = Harness.server(); Client client = new Client()) {
            check(client.init(server.url), "initSDK");
            check(client.login("bench", Harness.ticket(Harness.KEY, "bench")), "login");
            roundTrips(client, calls / 10); // warm up: JIT, thread attachments, allocator
            long start = System.nanoTime();
            roundTrips(client, calls);
            double micros = (System.nanoTime() - start) / 1e3 / calls;
            System.out.printf(
                    "getLoginStatus round trip through JNI: %.2f us/call (%d sequential calls)%n",
                    micros, calls);
        }
        // Core threads stay attached to the JVM (non-daemon), so end the process explicitly.
        System.exit(0);
    }

    private static void roundTrips(Client client, int calls) throws Exception {
        for (int i = 0; i < calls; i++) {
            check(client.call("getLoginStatus", "{}"), "getLoginStatus");
        }
    }

    private static void check(String resultJson, String what) {
        if (TimServer.code(resultJson) != 0) {
            throw new IllegalStateException(what + " failed: " + resultJson);
        }
    }
}
