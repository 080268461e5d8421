require "json"

package = JSON.parse(File.read(File.join(__dir__, "package.json")))
repository = package["repository"]["url"].sub(/^git\+/, "")
framework = "ios/Frameworks/TimFfi.xcframework"

# The npm tarball carries the prebuilt framework; a clone builds it with scripts/build-ios.sh.
# Without it the app would fail to link with a page of undefined symbols: say so at pod install.
unless File.exist?(File.join(__dir__, framework, "Info.plist"))
  raise "react-native-tim-rs: #{framework} is missing. Install a release tarball of the package, " \
        "or build it from a clone with scripts/build-ios.sh (macOS with Xcode)."
end

Pod::Spec.new do |s|
  s.name         = "react-native-tim-rs"
  s.version      = package["version"]
  s.summary      = package["description"]
  s.license      = package["license"]
  s.homepage     = package["homepage"]
  s.authors      = package["author"]
  s.platforms    = { :ios => "15.1" }
  s.source       = { :git => repository, :tag => "v#{s.version}" }

  # The module (Swift + an Objective-C++ shim) and the UniFFI Swift bindings of the Rust core.
  s.source_files = "ios/*.{h,mm,swift}", "ios/Generated/tim_ffi.swift"
  # TencentImSDK.h imports the codegen'd spec, which compiles as Objective-C++ only: kept out of
  # the pod's umbrella header, which Swift compiles as Objective-C.
  s.private_header_files = "ios/TencentImSDK.h"
  s.swift_version = "5.9"
  # The Rust core, with the C header and module map (tim_ffiFFI) that the Swift bindings import.
  s.vendored_frameworks = framework

  # React Native's dependencies and, with the new architecture, codegen of TimRsSpec.
  install_modules_dependencies(s)
end
