// The addon, as rust/node/build.sh leaves it: `require("rust/node")` gives { NativeBridge }.
module.exports = require("./tim_node.node");
