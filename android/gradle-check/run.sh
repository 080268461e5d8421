#!/usr/bin/env bash
# Evaluates android/build.gradle with Groovy for newArchEnabled=true and false (Evaluate.groovy
# beside this file says what it checks). Groovy 4 comes from Maven Central through Maven.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version=4.0.33
jar="$HOME/.m2/repository/org/apache/groovy/groovy/$version/groovy-$version.jar"
[ -f "$jar" ] || mvn -q -B dependency:get -Dartifact="org.apache.groovy:groovy:$version"
for arch in true false; do
  java -cp "$jar" groovy.ui.GroovyMain "$here/Evaluate.groovy" "$here/../build.gradle" "$arch"
done
