package com.timrs;

import static com.timrs.TimServer.code;
import static com.timrs.Harness.ticket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.timrs.Harness.Client;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JNI glue against the real library and a real server. The core's rules are tested in Rust;
 * this checks that strings, handles, callbacks and threads cross the boundary intact, and that
 * misuse from Java gets an answer, never a crash or a lost callback.
 */
class TimNativeTest {
    private static TimServer server;
    private final List<Client> clients = new ArrayList<>();

    @BeforeAll
    static void startServer() throws Exception {
        server = Harness.server();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    private Client client() {
        Client client = new Client();
        assertNotEquals(0, client.handle);
        clients.add(client);
        return client;
    }

    @AfterEach
    void closeClients() {
        for (Client client : clients) {
            client.close();
            assertTrue(client.strays.isEmpty(), "stray results: " + client.strays);
        }
    }

    @Test
    void loginSucceedsAndEventsArrive() throws Exception {
        Client client = client();
        assertEquals(6013, code(client.call("getLoginStatus", "{}")));
        assertEquals("true", data(client.init(server.url)));
        assertEquals(3, dataNumber(client.call("getLoginStatus", "{}")));
        assertEquals(0, code(client.login("alice", ticket(Harness.KEY, "alice"))));
        client.event("onConnecting");
        client.event("onConnectSuccess");
        assertEquals(1, dataNumber(client.call("getLoginStatus", "{}")));
        assertEquals("\"alice\"", data(client.call("getLoginUser", "{}")));
        assertEquals(0, code(client.call("logout", "{}")));
        assertEquals(3, dataNumber(client.call("getLoginStatus", "{}")));
    }

    @Test
    void aTicketSignedWithAnotherKeyAnswers70009() throws Exception {
        Client client = client();
        assertEquals(0, code(client.init(server.url)));
        assertEquals(70009, code(client.login("bob", ticket("not-the-key", "bob"))));
        assertEquals(3, dataNumber(client.call("getLoginStatus", "{}")));
    }

    @Test
    void aSecondDeviceKicksTheFirstAndTheEventReachesTheSink() throws Exception {
        Client first = client();
        Client second = client();
        assertEquals(0, code(first.init(server.url)));
        assertEquals(0, code(second.init(server.url)));
        assertEquals(0, code(first.login("carol", ticket(Harness.KEY, "carol"))));
        assertEquals(0, code(second.login("carol", ticket(Harness.KEY, "carol"))));
        assertEquals("null", TimServer.field(first.event("onKickedOffline"), "data"));
        assertEquals(3, dataNumber(first.call("getLoginStatus", "{}")));
        assertEquals(1, dataNumber(second.call("getLoginStatus", "{}")));
    }

    @Test
    void wrongParameterTypesAnswer6017ThroughTheSink() throws Exception {
        Client client = client();
        String appIdAsText = "{\"sdkAppID\":\"1400000123\",\"logLevel\":0}";
        assertEquals(6017, code(client.call("initSDK", appIdAsText)));
        assertEquals(0, code(client.init(server.url)));
        String answer = client.call("login", "{\"userID\":7,\"userSig\":\"x\"}");
        assertEquals(6017, code(answer));
        assertTrue(answer.contains("userID"), answer);
        assertEquals(6017, code(client.call("login", "not json")));
        assertEquals(6017, code(client.call("login", "[1,2]")));
        assertEquals(6017, code(client.call("noSuchMethod", "{}")));
    }

    @Test
    void nullStringsAreAnsweredAt6017ByTheCallItself() throws Exception {
        Client client = client();
        String noMethod = TimNative.call(client.handle, 1, null, "{}");
        assertNotNull(noMethod);
        assertEquals(6017, code(noMethod));
        assertTrue(noMethod.contains("method"), noMethod);
        String noParams = TimNative.call(client.handle, 2, "getVersion", null);
        assertEquals(6017, code(noParams));
        assertTrue(noParams.contains("paramsJson"), noParams);
        // Nothing else arrives for those ids, and the instance still works.
        assertEquals(0, code(client.call("getVersion", "{}")));
    }

    @Test
    void unknownAndDestroyedHandlesAnswer6013AndNeverCrash() throws Exception {
        Client client = client();
        long handle = client.handle;
        assertEquals(0, code(client.call("getVersion", "{}")));
        TimNative.destroy(handle);
        String answer = TimNative.call(handle, 1, "getVersion", "{}");
        assertEquals(6013, code(answer));
        assertTrue(answer.contains("not open"), answer);
        TimNative.destroy(handle); // twice: ignored
        assertEquals(6013, code(TimNative.call(0, 1, "getVersion", "{}")));
        assertEquals(6013, code(TimNative.call(-5, 1, null, null)));
        assertEquals(0, TimNative.create(null));
    }

    @Test
    void callsMadeBeforeDestroyAreStillAnswered() throws Exception {
        Client client = new Client();
        List<CompletableFuture<String>> answers = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            answers.add(client.callAsync("getVersion", "{}"));
        }
        client.close();
        for (CompletableFuture<String> answer : answers) {
            assertEquals(0, code(Client.await(answer)));
        }
        assertTrue(client.strays.isEmpty(), "stray results: " + client.strays);
    }

    @Test
    void aSinkThatThrowsDoesNotStopTheInstance() throws Exception {
        Client client = new Client() {
            @Override
            public void onEvent(String eventJson) {
                super.onEvent(eventJson);
                throw new IllegalStateException("app bug in onEvent");
            }

            @Override
            public void onResult(long requestId, String resultJson) {
                if (requestId == 1) {
                    throw new IllegalStateException("app bug in onResult");
                }
                super.onResult(requestId, resultJson);
            }
        };
        clients.add(client);
        CompletableFuture<String> lost = client.callAsync("getVersion", "{}");
        assertEquals(0, code(client.init(server.url)));
        assertEquals(0, code(client.login("dave", ticket(Harness.KEY, "dave"))));
        client.event("onConnectSuccess");
        assertEquals(1, dataNumber(client.call("getLoginStatus", "{}")));
        assertFalse(lost.isDone());
    }

    @Test
    void concurrentCallsFromManyThreadsEachGetOneAnswer() throws Exception {
        Client client = client();
        assertEquals(0, code(client.init(server.url)));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<CompletableFuture<String>>>> batches = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                batches.add(pool.submit(() -> {
                    List<CompletableFuture<String>> answers = new ArrayList<>();
                    for (int i = 0; i < 500; i++) {
                        answers.add(client.callAsync("getLoginStatus", "{}"));
                    }
                    return answers;
                }));
            }
            for (Future<List<CompletableFuture<String>>> batch : batches) {
                List<CompletableFuture<String>> answers =
                        batch.get(Harness.WAIT_SECONDS, TimeUnit.SECONDS);
                for (CompletableFuture<String> answer : answers) {
                    assertEquals(3, dataNumber(Client.await(answer)));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** The {@code data} of a successful result, as JSON text. */
    private static String data(String resultJson) {
        assertEquals(0, code(resultJson), resultJson);
        return TimServer.field(resultJson, "data");
    }

    /** The numeric {@code data} of a successful result. */
    private static long dataNumber(String resultJson) {
        return Long.parseLong(data(resultJson));
    }
}
