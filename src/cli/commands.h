#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"

namespace telecollect::decode {
class DecoderRegistry;
}

namespace telecollect::cli {

// The decoder registry with JavaScript decoders enabled per `config.decoders`.
std::unique_ptr<decode::DecoderRegistry> MakeRegistry(const Config& config);

// Each command returns the process exit code (exit_codes.h) and writes its
// result to stdout, its errors to stderr.

struct ServeArgs {
  std::string listen;  // overrides server.listen when set
  int threads = -1;    // overrides server.threads when >= 0
};
int RunServe(Config config, const ServeArgs& args);

struct TokenCreateArgs {
  std::string tenant, env, label;
  bool replace = false;  // revoke active tokens with the same tenant, env and label first
  bool admin = false;    // an admin token (the admin routes only), no tenant nor env
};
int RunTokenCreate(const Config& config, const TokenCreateArgs& args);
int RunTokenList(const Config& config, const std::optional<std::string>& tenant);
int RunTokenRevoke(const Config& config, const std::string& id_or_fingerprint);

struct QueryArgs {
  std::string tenant, env;
  std::string what;  // modules | latest | measurements | frames
  std::string prefix, from, to, step, agg, deviceid, status;
  std::vector<std::string> modules;  // measurements, latest: one or more
  std::string format = "csv";        // measurements: csv (long) | csv-wide
  std::string after;                 // modules, latest: the page after this module id
  int64_t before = 0;                // frames: ids below this one (next page)
  size_t limit = 0;
};
int RunQuery(const Config& config, const QueryArgs& args);

struct RedecodeArgs {
  std::string tenant, env, devicetype, deviceid, status, from, to;
  bool dry_run = false;
};
int RunRedecode(const Config& config, const RedecodeArgs& args);

struct DecodeArgs {
  std::string devicetype, spec, script, payload;
  std::string payloads;  // a file of payloads, one `HEX[,FPORT]` per line
  std::string tenant, env;  // with --devicetype: the decoder that applies to this scope's frames
  std::optional<int> fport;
  std::string deviceid = "DEVICE";
};
int RunDecode(const Config& config, const DecodeArgs& args);
int RunDecodersCheck(const Config& config);

// Decoder versions per tenant and env (decoder_commands.cc).
struct DecoderVersionArgs {
  std::string tenant, env, devicetype, version, spec, script;
  bool activate = false;  // upload: make it active at once
  bool none = false;      // activate: no version active (the shared decoder applies)
  std::string alias;      // alias: the platform's name for the device type
  bool remove = false;    // alias: remove it
};
// decoders vectors: a vendor's examples (TTN codec YAML, JSON lines) as [[test]] vectors, or run on a spec.
struct VectorArgs {
  std::string file, spec;
  std::vector<std::string> only;
  bool subset = false;
  double tolerance = -1;  // < 0: none
};
int RunDecoderVectors(const Config& config, const VectorArgs& args);
int RunDecoderUpload(const Config& config, const DecoderVersionArgs& args);
int RunDecoderVersions(const Config& config, const DecoderVersionArgs& args);
int RunDecoderActivate(const Config& config, const DecoderVersionArgs& args);
// A tenant's own names for device types: set (or --remove) one, list them.
int RunTypeAliasSet(const Config& config, const DecoderVersionArgs& args);
int RunTypeAliasList(const Config& config, const DecoderVersionArgs& args);

struct DeviceArgs {
  std::string tenant, env, deviceid, devicetype, label, module, prefix, file;
};
int RunDeviceSet(const Config& config, const DeviceArgs& args);
int RunDeviceList(const Config& config, const DeviceArgs& args);
int RunDeviceImport(const Config& config, const DeviceArgs& args);

}  // namespace telecollect::cli

namespace telecollect::cli {

// Flat files: file_commands.cc.
struct ValidateArgs {
  std::string profile;        // empty: sniff one from the file
  std::string file;
  std::string write_profile;  // save the (proposed) profile here
  bool json = false;
};
int RunValidate(const Config& config, const ValidateArgs& args);

struct ImportArgs {
  std::string profile, tenant, env;
  std::vector<std::string> files;
};
int RunImport(const Config& config, const ImportArgs& args);

struct FilesArgs {
  std::string connector;
  size_t limit = 50;
  int64_t before = 0;  // the next page: ids below this one
  int64_t id = 0;  // > 0: print this file's report (JSON: per-line errors and warnings) instead of the list
};
int RunFilesList(const Config& config, const FilesArgs& args);

}  // namespace telecollect::cli

namespace telecollect::cli {
// Connectors: file_commands.cc.
int RunConnectorList(const Config& config);
int RunConnectorRun(const Config& config, const std::string& name);
int RunConnectorStatus(const Config& config, const std::string& name, size_t limit, int64_t before);
// Puts a quarantined file (or one left after its rejection) back to be read
// again by the connector's next run.
int RunConnectorRetry(const Config& config, const std::string& name, const std::string& file);

// The hosted SFTP drop (drop_commands.cc, docs/files.md).
struct DropAddArgs {
  std::string partner;
  std::string key_file;                                  // the partner's OpenSSH public key
  std::string root = "/srv/drop";                        // chroots: <root>/<partner>
  std::string keys_dir = "/etc/ssh/telecollect-drop-keys";  // AuthorizedKeysFile <keys_dir>/%u
  std::string partner_group = "drop-partners";
  std::string service_user = "telecollect";              // runs telecollect; its group reads the uploads
  std::string sshd_config = "/etc/ssh/sshd_config.d/telecollect-drop.conf";
  std::string host_key = "/etc/ssh/ssh_host_ed25519_key.pub";
  std::string host = "drop.example.com";
  int port = 22;
};
int RunDropAdd(const Config& config, const DropAddArgs& args);
struct TryArgs {
  std::string name, from, to, meter;
  bool json = false;
};
// API connectors: fetch [from, to) and show what would be stored.
int RunConnectorTry(const Config& config, const TryArgs& args);
}  // namespace telecollect::cli

namespace telecollect::cli {
// Envelopes as configuration: envelope_commands.cc.
struct EnvelopeTryArgs {
  std::string envelope;      // an envelope TOML file, or the name of a built-in envelope
  std::string body;          // a sample body
  std::string content_type;  // default: application/x-ndjson for *.ndjson / *.jsonl, else application/json
  std::string tenant, env = "preprod";  // with a name: the envelope this tenant uploaded and activated for env
};
// Prints what each frame of the body would be journaled as, or where and why it is refused.
int RunEnvelopeTry(const Config& config, const EnvelopeTryArgs& args);

// Envelopes uploaded per tenant and env (push/envelope_catalog.h).
struct EnvelopeVersionArgs {
  std::string tenant, env, file, name, version;
  bool activate = false;  // upload: make it active at once
  bool none = false;      // activate: no version active
};
int RunEnvelopeUpload(const Config& config, const EnvelopeVersionArgs& args);
int RunEnvelopeVersions(const Config& config, const EnvelopeVersionArgs& args);
int RunEnvelopeActivate(const Config& config, const EnvelopeVersionArgs& args);
}  // namespace telecollect::cli
