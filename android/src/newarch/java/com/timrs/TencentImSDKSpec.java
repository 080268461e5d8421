package com.timrs;

import com.facebook.react.bridge.ReactApplicationContext;

/**
 * The module's base class on the new architecture: the TurboModule spec that codegen generates
 * from js/NativeTencentImSDK.ts into {@code NativeTencentImSDKSpec} (package {@code com.timrs},
 * see {@code codegenConfig} in package.json) when the app builds. It declares {@code NAME},
 * {@code getName()} and the abstract methods; {@code src/oldarch} has the same for the bridge.
 */
abstract class TencentImSDKSpec extends NativeTencentImSDKSpec {
    TencentImSDKSpec(ReactApplicationContext context) {
        super(context);
    }
}
