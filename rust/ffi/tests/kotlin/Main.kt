// tim-ffi through its generated Kotlin bindings (JNA, coroutines) against a real tim-server: a
// login, a 700xx code, and a kick-out event reaching the sink of the first of two TimBridge objects
// (two devices). A thin smoke test of the UniFFI layer: the rules are tested once, in Rust.
// Run by rust/ffi/tests/run-bindings.sh, which names the binaries in TIM_SERVER_BIN and
// TIM_USERSIG_BIN. Exits 1 if any check fails.

import java.util.concurrent.ConcurrentHashMap
import kotlin.system.exitProcess
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import uniffi.tim_ffi.EventSink
import uniffi.tim_ffi.TimBridge

const val APP = 1_400_000_002L
const val KEY = "uniffi-kotlin-test-key"

fun env(name: String): String =
    System.getenv(name) ?: error("$name is not set: run rust/ffi/tests/run-bindings.sh")

/** `tim-server --listen 127.0.0.1:0` with one app; `url` is from its first stdout line. */
class Server : AutoCloseable {
    private val process = ProcessBuilder(env("TIM_SERVER_BIN"), "--listen", "127.0.0.1:0", "--app", "$APP:$KEY", "--ephemeral")
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start()
    val url: String = process.inputStream.bufferedReader().readLine()
        ?.removePrefix("listening on ")
        ?: error("tim-server did not start")

    override fun close() {
        process.destroy()
        process.waitFor()
    }
}

/** A UserSig for `user`, from the tim-usersig CLI. */
fun ticket(user: String, key: String = KEY): String {
    val process = ProcessBuilder(env("TIM_USERSIG_BIN"), "gen", "--sdkappid", "$APP", "--key", key, "--user", user)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start()
    val sig = process.inputStream.bufferedReader().readText().trim()
    check(process.waitFor() == 0) { "tim-usersig failed" }
    return sig
}

/** One top-level value of an answer or event, as JSON text: enough here, without a JSON library. */
fun field(json: String, name: String): String? =
    Regex("\"$name\":(-?\\d+|true|false|null|\"(?:[^\"\\\\]|\\\\.)*\")").find(json)?.groupValues?.get(1)

/** A sink that runs on a core thread: it notes the thread, queues the event and returns at once. */
class QueueSink : EventSink {
    val events = Channel<String>(Channel.UNLIMITED)
    val threads: MutableSet<Long> = ConcurrentHashMap.newKeySet()

    override fun onEvent(eventJson: String) {
        threads.add(Thread.currentThread().id)
        events.trySend(eventJson)
    }
}

/** One TimBridge: one SDK instance, a separate device to the server. Close it to release it. */
class Device : AutoCloseable {
    val sink = QueueSink()
    private val bridge = TimBridge(sink)

    suspend fun call(method: String, params: String = "{}"): String = bridge.call(method, params)

    suspend fun init(url: String): String =
        call("initSDK", """{"sdkAppID":$APP,"logLevel":0,"config":{"serverUrl":"$url"}}""")

    suspend fun login(user: String, sig: String = ticket(user)): String =
        call("login", """{"userID":"$user","userSig":"$sig"}""")

    suspend fun eventNamed(name: String): String = withTimeout(10_000) {
        var event = sink.events.receive()
        while (field(event, "type") != "\"$name\"") event = sink.events.receive()
        event
    }

    override fun close() = bridge.close()
}

fun expect(actual: String?, expected: String, what: String) =
    check(actual == expected) { "$what: expected $expected, got $actual" }

suspend fun loginSucceeds(url: String) = Device().use { device ->
    expect(device.init(url), """{"code":0,"data":true,"desc":"ok"}""", "initSDK")
    expect(field(device.login("kt-alice"), "code"), "0", "login")
    device.eventNamed("onConnectSuccess")
    expect(field(device.call("getLoginStatus"), "data"), "1", "getLoginStatus")
    expect(field(device.call("getLoginUser"), "data"), "\"kt-alice\"", "getLoginUser")
    val main = Thread.currentThread().id
    check(device.sink.threads.isNotEmpty() && main !in device.sink.threads) { "events came on the caller's thread" }
    expect(field(device.call("logout"), "code"), "0", "logout")
}

suspend fun wrongKeyAnswers70009(url: String) = Device().use { device ->
    device.init(url)
    expect(field(device.login("kt-bob", ticket("kt-bob", key = "not-the-key")), "code"), "70009", "login")
    expect(field(device.call("getLoginStatus"), "data"), "3", "getLoginStatus")
}

suspend fun secondDeviceKicksTheFirst(url: String) = Device().use { first ->
    Device().use { second ->
        first.init(url)
        second.init(url)
        expect(field(first.login("kt-carol"), "code"), "0", "first login")
        expect(field(second.login("kt-carol"), "code"), "0", "second login")
        expect(field(first.eventNamed("onKickedOffline"), "data"), "null", "onKickedOffline data")
        expect(field(first.call("getLoginStatus"), "data"), "3", "first getLoginStatus")
        expect(field(second.call("getLoginStatus"), "data"), "1", "second getLoginStatus")
    }
}

fun main() {
    val checks = listOf(
        "login succeeds; events reach the sink from core threads" to ::loginSucceeds,
        "a ticket signed with the wrong key answers 70009" to ::wrongKeyAnswers70009,
        "a second device kicks the first offline" to ::secondDeviceKicksTheFirst,
    )
    var failed = 0
    Server().use { server ->
        runBlocking {
            for ((name, check) in checks) {
                try {
                    check(server.url)
                    println("PASS $name")
                } catch (e: Throwable) {
                    failed++
                    println("FAIL $name: $e")
                }
            }
        }
    }
    println(if (failed == 0) "kotlin: all ${checks.size} passed" else "kotlin: $failed of ${checks.size} FAILED")
    exitProcess(if (failed == 0) 0 else 1)
}
