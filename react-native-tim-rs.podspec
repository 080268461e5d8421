require "json"

package = JSON.parse(File.read(File.join(__dir__, "package.json")))

Pod::Spec.new do |s|
  s.name         = "react-native-tim-rs"
  s.version      = package["version"]
  s.summary      = package["description"]
  s.license      = package["license"]
  s.homepage     = "https://www.npmjs.com/package/react-native-tim-rs"
  s.authors      = "react-native-tim-rs contributors"
  s.platforms    = { :ios => "15.1" }
  s.source       = { :git => "https://www.npmjs.com/package/react-native-tim-rs", :tag => s.version.to_s }

  # The module (Swift + an Objective-C++ shim) and the UniFFI Swift bindings of the Rust core.
  s.source_files = "ios/*.{h,mm,swift}", "ios/Generated/tim_ffi.swift"
  s.swift_version = "5.9"
  # The Rust core: built by scripts/build-ios.sh, with the C header and module map (tim_ffiFFI)
  # that the Swift bindings import.
  s.vendored_frameworks = "ios/Frameworks/TimFfi.xcframework"

  # React Native's dependencies and, with the new architecture, codegen of TimRsSpec.
  install_modules_dependencies(s)
end
