package com.timrs;

/** What the Android Gradle Plugin generates for the library (oldarch); see build.gradle. */
public final class BuildConfig {
    public static final boolean IS_NEW_ARCHITECTURE_ENABLED = false;

    private BuildConfig() {}
}
