package internal

// --------------------------------------------------------------------------------
// Versions
// --------------------------------------------------------------------------------
const SDK_Version = "0.8.0"
const Protocol_Version = "1.1.0"

// --------------------------------------------------------------------------------
// Environment Vars
// --------------------------------------------------------------------------------
const localOutputEnvVar = "ANTITHESIS_SDK_LOCAL_OUTPUT"
const outputDirEnvVar = "ANTITHESIS_OUTPUT_DIR"

// --------------------------------------------------------------------------------
// Paths
// --------------------------------------------------------------------------------
const defaultNativeLibraryPath = "/usr/lib/libvoidstar.so"
const fallbackOutputFilename = "sdk.jsonl"
