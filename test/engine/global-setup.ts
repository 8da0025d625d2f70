// Placeholder: replaced by the engine harness (see test/engine/README.md once written).
export default function setup(): void {}
