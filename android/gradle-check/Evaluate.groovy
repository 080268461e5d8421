// Evaluates ../build.gradle with Groovy against a strict stand-in for the Gradle and Android
// Gradle Plugin DSL that the file uses, for one value of newArchEnabled, and checks what it
// declares. No Gradle or Android Gradle Plugin can run on this machine; this catches what Groovy
// can: a misspelt or removed DSL name (the stand-in knows only the names the real DSL has, and
// not targetSdkVersion, which AGP 9 removed from libraries), a syntax error, a wrong value, a
// source folder that does not exist.
//
//   java -cp groovy.jar groovy.ui.GroovyMain Evaluate.groovy BUILD_GRADLE true|false
import org.codehaus.groovy.control.CompilerConfiguration

def (buildFile, newArch) = [new File(args[0]).canonicalFile, args[1]]
def moduleDir = buildFile.parentFile

/** `sourceSets.main.java`: its srcDirs. */
class SourceDirs {
  List srcDirs = ['src/main/java']
}

class SourceSet {
  SourceDirs java = new SourceDirs()
  def manifest(Closure c) {}
}

class SourceSets {
  SourceSet main = new SourceSet()
  def main(Closure c) { c.delegate = main; c.resolveStrategy = Closure.DELEGATE_FIRST; c() }
}

class DefaultConfig {
  Integer minSdk
  List buildConfigFields = []
  List consumerProguard = []
  def minSdkVersion(int v) { minSdk = v }
  def buildConfigField(String type, String name, String value) { buildConfigFields << [type, name, value] }
  def consumerProguardFiles(String... files) { consumerProguard.addAll(files) }
}

class BuildFeatures {
  Boolean buildConfig
  def buildConfig(boolean v) { buildConfig = v }
}

class AndroidExt {
  String namespace
  Integer compileSdk
  DefaultConfig defaultConfig = new DefaultConfig()
  BuildFeatures buildFeatures = new BuildFeatures()
  SourceSets sourceSets = new SourceSets()
  def namespace(String v) { namespace = v }
  def compileSdkVersion(int v) { compileSdk = v }
  def defaultConfig(Closure c) { Dsl.run(c, defaultConfig) }
  def buildFeatures(Closure c) { Dsl.run(c, buildFeatures) }
  def sourceSets(Closure c) { Dsl.run(c, sourceSets) }
}

class Repositories {
  List names = []
  def mavenCentral() { names << 'mavenCentral' }
  def google() { names << 'google' }
}

class Dependencies {
  List implementation = []
  def implementation(String notation) { implementation << notation }
}

class ReactExt {
  File jsRootDir
  String libraryName
  String codegenJavaPackageName
}

class Dsl {
  static run(Closure c, Object target) {
    c.delegate = target
    c.resolveStrategy = Closure.DELEGATE_FIRST
    c()
  }
}

class Ext {
  Map values
  boolean has(String name) { values.containsKey(name) }
  Object get(String name) { values[name] }
}

/** What build.gradle sees as `project` and at its top level. */
class Project {
  File projectDir
  Map properties
  List plugins = []
  AndroidExt android = new AndroidExt()
  Repositories repositories = new Repositories()
  Dependencies dependencies = new Dependencies()
  ReactExt react
  Map rootProject = [ext: new Ext(values: [compileSdkVersion: 36])]
  Project getProject() { this }
  Object findProperty(String name) { properties[name] }
  File file(String path) { new File(projectDir, path).canonicalFile }
  def apply(Map options) { plugins << options.plugin }
  def android(Closure c) { Dsl.run(c, android) }
  def repositories(Closure c) { Dsl.run(c, repositories) }
  def dependencies(Closure c) { Dsl.run(c, dependencies) }
  def react(Closure c) { react = new ReactExt(); Dsl.run(c, react) }
}

def project = new Project(projectDir: moduleDir, properties: [newArchEnabled: newArch])
def config = new CompilerConfiguration(scriptBaseClass: DelegatingScript.name)
def script = new GroovyShell(this.class.classLoader, new Binding(), config).parse(buildFile)
script.setDelegate(project)
script.run()

def problems = []
def expect = { boolean ok, String what -> if (!ok) problems << what }
def isNew = newArch == 'true'
def android = project.android
expect(project.plugins == (isNew ? ['com.android.library', 'com.facebook.react'] : ['com.android.library']),
  "plugins ${project.plugins}")
expect(android.namespace == 'com.timrs', "namespace ${android.namespace}")
expect(android.compileSdk == 36, "compileSdk ${android.compileSdk}")
expect(android.defaultConfig.minSdk == 24, "minSdk ${android.defaultConfig.minSdk}, not React Native's 24")
expect(android.defaultConfig.buildConfigFields == [['boolean', 'IS_NEW_ARCHITECTURE_ENABLED', newArch]],
  "buildConfigFields ${android.defaultConfig.buildConfigFields}")
expect(android.buildFeatures.buildConfig == true, 'buildFeatures.buildConfig is not true')
android.defaultConfig.consumerProguard.each { expect(new File(moduleDir, it).isFile(), "no consumer ProGuard file $it") }
def srcDirs = android.sourceSets.main.java.srcDirs
expect(srcDirs.contains(isNew ? 'src/newarch/java' : 'src/oldarch/java'), "java.srcDirs $srcDirs")
srcDirs.each { expect(new File(moduleDir, it).isDirectory(), "source folder $it does not exist") }
expect(project.dependencies.implementation == ['com.facebook.react:react-android'], "dependencies ${project.dependencies.implementation}")
if (isNew) {
  def react = project.react
  expect(react != null, 'no react { } block')
  expect(new File(react.jsRootDir, 'NativeTencentImSDK.ts').isFile(), "jsRootDir ${react.jsRootDir} has no NativeTencentImSDK.ts")
  expect(react.libraryName == 'TimRsSpec' && react.codegenJavaPackageName == 'com.timrs',
    "react { libraryName ${react.libraryName}, codegenJavaPackageName ${react.codegenJavaPackageName} }")
} else {
  expect(project.react == null, 'react { } configured on the old architecture')
}

if (problems) {
  problems.each { System.err.println("build.gradle (newArchEnabled=$newArch): $it") }
  System.exit(1)
}
println "build.gradle (newArchEnabled=$newArch): ${project.plugins.join(', ')}; minSdk ${android.defaultConfig.minSdk}; sources ${srcDirs.join(', ')}"
