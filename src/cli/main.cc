// telecollect: the command. See docs/cli.md.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "core/file_modes.h"

using namespace telecollect;
using namespace telecollect::cli;

int main(int argc, char** argv) {
  CLI::App app{"telecollect: collects remotely-read energy and environment data into clean time series"};
  app.require_subcommand(1);
  app.fallthrough();
  std::string config_path, data_dir;
  app.add_option("--config", config_path, "TOML config file (docs/configuration.md)");
  app.add_option("--data-dir", data_dir, "data directory (overrides data_dir)");

  ServeArgs serve_args;
  auto* serve = app.add_subcommand("serve", "serve the HTTP API (push, queries, metrics)");
  serve->add_option("--listen", serve_args.listen, "ADDR:PORT to listen on (port 0 picks a free one)");
  serve->add_option("--threads", serve_args.threads, "worker threads (0 = one per core)");

  auto* token = app.add_subcommand("token", "manage push/read tokens");
  token->require_subcommand(1);
  TokenCreateArgs create_args;
  auto* create = token->add_subcommand("create", "create a token and print it once");
  create->add_option("--tenant", create_args.tenant, "tenant (required unless --admin)");
  create->add_option("--env", create_args.env, "preprod or prod (required unless --admin)");
  create->add_flag("--admin", create_args.admin, "an admin token: the /v1/admin routes only (docs/api.md)");
  create->add_option("--label", create_args.label, "free text, e.g. who it was given to");
  create->add_flag("--replace", create_args.replace, "revoke active tokens with the same tenant, env and label first");
  std::string list_tenant;
  auto* list = token->add_subcommand("list", "list tokens (fingerprints only)");
  list->add_option("--tenant", list_tenant, "only this tenant");
  std::string revoke_id;
  auto* revoke = token->add_subcommand("revoke", "revoke a token by id or fingerprint");
  revoke->add_option("id", revoke_id, "token id or fingerprint (from token list)")->required();

  QueryArgs q;
  auto* query = app.add_subcommand("query", "read modules, latest values, measurements or frames");
  query->add_option("what", q.what, "modules | latest | measurements | frames")->required()
      ->check(CLI::IsMember({"modules", "latest", "measurements", "frames"}));
  query->add_option("--tenant", q.tenant, "tenant")->required();
  query->add_option("--env", q.env, "preprod or prod")->required();
  query->add_option("--prefix", q.prefix, "modules: id prefix");
  query->add_option("--module", q.modules, "measurements, latest: module id (repeat it for several)");
  query->add_option("--format", q.format, "measurements: csv (timestamp,value or timestamp,module,value) | csv-wide")
      ->check(CLI::IsMember({"csv", "csv-wide"}));
  query->add_option("--after", q.after, "modules, latest: the next page after this module id");
  query->add_option("--before", q.before, "frames: the next page, frames with an id below this one");
  query->add_option("--from", q.from, "start (ISO-8601, YYYY-MM-DD UTC, or epoch)");
  query->add_option("--to", q.to, "end, exclusive");
  query->add_option("--step", q.step, "measurements: bucket (10m, 1h, 1d)");
  query->add_option("--agg", q.agg, "measurements: avg|min|max|sum|last|count");
  query->add_option("--deviceid", q.deviceid, "frames: device id");
  query->add_option("--status", q.status, "frames: decoded|no-decoder|failed");
  query->add_option("--limit", q.limit, "maximum rows");

  RedecodeArgs rd;
  auto* redecode = app.add_subcommand("redecode", "re-run current decoders over journaled frames");
  redecode->add_option("--tenant", rd.tenant, "only this tenant");
  redecode->add_option("--env", rd.env, "only this env");
  redecode->add_option("--devicetype", rd.devicetype, "only frames of this device type");
  redecode->add_option("--deviceid", rd.deviceid, "only frames of this device");
  redecode->add_option("--status", rd.status, "which frames: pending (default: no-decoder and failed), failed, decoded, all");
  redecode->add_option("--from", rd.from, "event time from");
  redecode->add_option("--to", rd.to, "event time to (exclusive)");
  redecode->add_flag("--dry-run", rd.dry_run, "report what would change, write nothing");

  DecodeArgs da;
  int fport = -1;
  auto* decode = app.add_subcommand("decode", "try a decoder on a payload");
  decode->add_option("--devicetype", da.devicetype, "a registered device type");
  decode->add_option("--spec", da.spec, "a spec file (declarative or script) to try before registering it");
  decode->add_option("--script", da.script, "a vendor's decodeUplink .js file to try as it is");
  decode->add_option("--payload", da.payload, "payload in hex");
  decode->add_option("--fport", fport, "LoRaWAN fPort");
  decode->add_option("--payloads", da.payloads,
                     "a file of payloads, one HEX[,FPORT] per line: one JSON line each (payload, fport, result)");
  decode->add_option("--deviceid", da.deviceid, "device id used to name modules");
  decode->add_option("--tenant", da.tenant, "with --devicetype: the decoder this tenant's frames get (its uploaded version first)");
  decode->add_option("--env", da.env, "with --tenant: preprod or prod");

  auto* decoders = app.add_subcommand("decoders",
                                      "without a subcommand: load every decoder directory and report what is active or "
                                      "refused; upload, versions, activate: decoder versions per tenant and env");
  DecoderVersionArgs dva;
  auto* decoders_upload = decoders->add_subcommand("upload", "store a decoder version (its vectors must pass) for a tenant and env");
  auto* decoders_versions = decoders->add_subcommand("versions", "list the uploaded decoder versions of a tenant and env (CSV)");
  auto* decoders_activate = decoders->add_subcommand("activate", "make one uploaded version the active decoder of its device type");
  auto* decoders_alias = decoders->add_subcommand(
      "alias", "name a device type as this tenant's platform calls it (a ChirpStack device profile, a ThingPark model...)");
  auto* decoders_aliases = decoders->add_subcommand("aliases", "list the tenant's device type aliases (CSV)");
  decoders_alias->add_option("name", dva.alias, "the device type as the platform sends it")->required();
  decoders_alias->add_option("--devicetype", dva.devicetype, "the device type whose decoder these frames get");
  decoders_alias->add_flag("--remove", dva.remove, "remove the alias");
  for (auto* sub : {decoders_upload, decoders_versions, decoders_activate, decoders_alias, decoders_aliases}) {
    sub->add_option("--tenant", dva.tenant, "tenant")->required();
    sub->add_option("--env", dva.env, "preprod or prod")->required();
  }
  decoders_upload->add_option("spec", dva.spec, "the spec (TOML, docs/decoders.md), with its [[test]] vectors")->required();
  decoders_upload->add_option("--script", dva.script, "the .js file of a script decoder (kind = \"script\")");
  decoders_upload->add_option("--devicetype", dva.devicetype, "refuse the spec unless it is for this device type");
  decoders_upload->add_flag("--activate", dva.activate, "make it the active version at once");
  decoders_versions->add_option("--devicetype", dva.devicetype, "only this device type");
  decoders_activate->add_option("--devicetype", dva.devicetype, "device type")->required();
  decoders_activate->add_option("--version", dva.version, "the version to activate");
  decoders_activate->add_flag("--none", dva.none, "leave no uploaded version active (the shared decoder applies again)");

  VectorArgs vca;
  auto* decoders_vectors = decoders->add_subcommand(
      "vectors", "a vendor's examples (TTN codec YAML, JSON lines) as [[test]] vectors; with --spec, run them on it");
  decoders_vectors->add_option("file", vca.file, "the examples: *.yaml (TTN device repository codec) or JSON lines")->required();
  decoders_vectors->add_option("--spec", vca.spec, "run them on this spec instead of printing them (exit 2 if one fails)");
  decoders_vectors->add_option("--only", vca.only, "keep only these fields of each example (a subset check)")->delimiter(',');
  decoders_vectors->add_flag("--subset", vca.subset, "the decoder may give fields the example does not list");
  decoders_vectors->add_option("--tolerance", vca.tolerance, "a value passes within this absolute difference");

  DeviceArgs dv;
  auto* device = app.add_subcommand("device", "the device registry: device id → device type, label, module naming");
  device->require_subcommand(1);
  auto* device_set = device->add_subcommand("set", "register or update one device");
  auto* device_list = device->add_subcommand("list", "list registered devices (CSV)");
  auto* device_import = device->add_subcommand("import", "register devices from a CSV file (deviceid,devicetype,label,module)");
  for (auto* sub : {device_set, device_list, device_import}) {
    sub->add_option("--tenant", dv.tenant, "tenant")->required();
    sub->add_option("--env", dv.env, "preprod or prod")->required();
  }
  device_set->add_option("--deviceid", dv.deviceid, "device id as its frames carry it")->required();
  device_set->add_option("--devicetype", dv.devicetype, "device type (decoder)");
  device_set->add_option("--label", dv.label, "free text");
  device_set->add_option("--module", dv.module, "module id template, e.g. site-a/{deviceid}/{field}");
  device_list->add_option("--prefix", dv.prefix, "device id prefix");
  device_import->add_option("file", dv.file, "CSV file")->required();

  ValidateArgs va;
  auto* validate = app.add_subcommand("validate", "read a sample file as it would be imported and report; without --profile, propose one");
  validate->add_option("file", va.file, "the sample file (csv, json, ndjson, xml; gzip or zip)")->required();
  validate->add_option("--profile", va.profile, "profile TOML (docs/files.md); omit to have one proposed");
  validate->add_option("--write-profile", va.write_profile, "save the profile (proposed or given) to this file");
  validate->add_flag("--json", va.json, "print the report as JSON");

  ImportArgs ia;
  auto* import = app.add_subcommand("import", "import files by hand, each in one transaction, never twice");
  import->add_option("--profile", ia.profile, "profile TOML")->required();
  import->add_option("--tenant", ia.tenant, "tenant")->required();
  import->add_option("--env", ia.env, "preprod or prod")->required();
  import->add_option("files", ia.files, "files to import")->required();

  FilesArgs fa;
  auto* files = app.add_subcommand("files", "the file journal: imported and rejected files, newest first (CSV)");
  files->add_option("--connector", fa.connector, "only this connector's files");
  files->add_option("--limit", fa.limit, "maximum rows (default 50)");
  files->add_option("--before", fa.before, "the next page: records with an id below this one");
  files->add_option("--id", fa.id, "print the report of the file with this id (its per-line errors and warnings, JSON)");

  auto* connector = app.add_subcommand("connector", "connectors (file drops, vendor APIs): list, run one now, try an API, last runs");
  connector->require_subcommand(1);
  auto* connector_list = connector->add_subcommand("list", "list the connectors loaded from the connector directories");
  std::string connector_name;
  size_t connector_limit = 20;
  int64_t connector_before = 0;
  auto* connector_run = connector->add_subcommand("run", "run one connector now");
  connector_run->add_option("name", connector_name, "connector name (its file's stem)")->required();
  TryArgs try_args;
  auto* connector_try = connector->add_subcommand("try", "API connector: fetch one span and show what would be stored, storing nothing");
  connector_try->add_option("name", try_args.name, "connector name (its file's stem)")->required();
  connector_try->add_option("--from", try_args.from, "start (ISO-8601 or epoch ms)")->required();
  connector_try->add_option("--to", try_args.to, "end, exclusive (default: now minus the window lag)");
  connector_try->add_option("--meter", try_args.meter, "only this meter id");
  connector_try->add_flag("--json", try_args.json, "the reports as JSON");
  auto* connector_status = connector->add_subcommand("status", "the last runs (all connectors, or one)");
  connector_status->add_option("name", connector_name, "connector name");
  connector_status->add_option("--limit", connector_limit, "maximum runs (default 20)");
  connector_status->add_option("--before", connector_before, "the next page: runs with an id below this one");

  std::string retry_file;
  auto* connector_retry = connector->add_subcommand("retry", "read a quarantined file again on the next run (after fixing the profile)");
  connector_retry->add_option("name", connector_name, "connector name")->required();
  connector_retry->add_option("file", retry_file, "the file's name in the quarantine folder (or its path in the source, if left)")->required();

  DropAddArgs drop_args;
  auto* drop = app.add_subcommand("drop", "the hosted SFTP drop (as root): one chrooted account per partner");
  drop->require_subcommand(1);
  auto* drop_add = drop->add_subcommand("add", "create a partner's chrooted SFTP account and upload folder; print its instructions");
  drop_add->add_option("partner", drop_args.partner, "the partner's account name (lower case, digits, -)")->required();
  drop_add->add_option("--key", drop_args.key_file, "the partner's OpenSSH public key file")->required();
  drop_add->add_option("--root", drop_args.root, "where the chroots are (default /srv/drop)");
  drop_add->add_option("--keys-dir", drop_args.keys_dir, "root-owned folder of the partners' keys (default /etc/ssh/telecollect-drop-keys)");
  drop_add->add_option("--partner-group", drop_args.partner_group, "group of the partner accounts (default drop-partners)");
  drop_add->add_option("--service-user", drop_args.service_user, "the user telecollect runs as (default telecollect)");
  drop_add->add_option("--sshd-config", drop_args.sshd_config, "sshd drop-in to print the Match block for, while it is missing");
  drop_add->add_option("--host-key", drop_args.host_key, "sshd's public host key, whose fingerprint the partner checks");
  drop_add->add_option("--host", drop_args.host, "the drop's host name, for the partner's instructions");
  drop_add->add_option("--port", drop_args.port, "the drop's SSH port, for the partner's instructions");
  EnvelopeTryArgs eta;
  auto* envelope = app.add_subcommand("envelope", "platform envelopes as configuration (docs/push.md)");
  envelope->require_subcommand(1);
  auto* envelope_try = envelope->add_subcommand("try", "parse a sample body with an envelope and show the frames, storing nothing");
  envelope_try->add_option("--envelope", eta.envelope, "an envelope TOML file, or a built-in envelope's name")->required();
  envelope_try->add_option("--body", eta.body, "a sample body (JSON object, array or NDJSON; form fields or XML)")->required();
  envelope_try->add_option("--content-type", eta.content_type,
                           "as the platform sends it (default by extension: .ndjson/.jsonl NDJSON, .xml XML, .form "
                           "form-encoded, else application/json)");
  envelope_try->add_option("--tenant", eta.tenant, "with a name: the envelope this tenant uploaded (its active version)");
  envelope_try->add_option("--env", eta.env, "preprod (default) or prod, with --tenant");
  EnvelopeVersionArgs eva;
  auto* envelope_upload = envelope->add_subcommand("upload", "store an envelope version (it must load) for a tenant and env");
  auto* envelope_versions = envelope->add_subcommand("versions", "list the uploaded envelope versions of a tenant and env (CSV)");
  auto* envelope_activate = envelope->add_subcommand("activate", "make one uploaded version the active envelope of its name");
  for (auto* sub : {envelope_upload, envelope_versions, envelope_activate}) {
    sub->add_option("--tenant", eva.tenant, "tenant")->required();
    sub->add_option("--env", eva.env, "preprod or prod")->required();
  }
  envelope_upload->add_option("file", eva.file, "the envelope TOML (docs/push.md), with its version")->required();
  envelope_upload->add_option("--name", eva.name, "refuse the file unless it is this envelope");
  envelope_upload->add_flag("--activate", eva.activate, "make it the active version at once");
  envelope_versions->add_option("--name", eva.name, "only this envelope");
  envelope_activate->add_option("--name", eva.name, "the envelope's name")->required();
  envelope_activate->add_option("--version", eva.version, "the version to activate");
  envelope_activate->add_flag("--none", eva.none, "leave no uploaded version active");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  Config config;
  if (!config_path.empty()) {
    auto loaded = LoadConfigFile(config_path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "telecollect: %s\n", loaded.status().message().c_str());
      return kExitUsage;
    }
    config = std::move(loaded).value();
  }
  if (!data_dir.empty()) config.data_dir = data_dir;
  // Whatever a command creates (database, WAL, key file, spool, exported
  // profiles) is the service account's only: 0600 files, 0700 directories.
  RestrictUmask();

  try {
    if (*serve) return RunServe(std::move(config), serve_args);
    if (*create) return RunTokenCreate(config, create_args);
    if (*list) return RunTokenList(config, list_tenant.empty() ? std::nullopt : std::optional(list_tenant));
    if (*revoke) return RunTokenRevoke(config, revoke_id);
    if (*query) return RunQuery(config, q);
    if (*redecode) return RunRedecode(config, rd);
    if (*decode) {
      if (fport >= 0) da.fport = fport;
      return RunDecode(config, da);
    }
    if (*decoders_vectors) return RunDecoderVectors(config, vca);
    if (*decoders_upload) return RunDecoderUpload(config, dva);
    if (*decoders_versions) return RunDecoderVersions(config, dva);
    if (*decoders_activate) return RunDecoderActivate(config, dva);
    if (*decoders_alias) return RunTypeAliasSet(config, dva);
    if (*decoders_aliases) return RunTypeAliasList(config, dva);
    if (*decoders) return RunDecodersCheck(config);
    if (*device_set) return RunDeviceSet(config, dv);
    if (*device_list) return RunDeviceList(config, dv);
    if (*device_import) return RunDeviceImport(config, dv);
    if (*validate) return RunValidate(config, va);
    if (*import) return RunImport(config, ia);
    if (*files) return RunFilesList(config, fa);
    if (*connector_list) return RunConnectorList(config);
    if (*connector_run) return RunConnectorRun(config, connector_name);
    if (*connector_status) return RunConnectorStatus(config, connector_name, connector_limit, connector_before);
    if (*connector_try) return RunConnectorTry(config, try_args);
    if (*connector_retry) return RunConnectorRetry(config, connector_name, retry_file);
    if (*drop_add) return RunDropAdd(config, drop_args);
    if (*envelope_try) return RunEnvelopeTry(config, eta);
    if (*envelope_upload) return RunEnvelopeUpload(config, eva);
    if (*envelope_versions) return RunEnvelopeVersions(config, eva);
    if (*envelope_activate) return RunEnvelopeActivate(config, eva);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "telecollect: unexpected error: %s\n", e.what());
    return kExitFailure;
  }
  return kExitUsage;
}
