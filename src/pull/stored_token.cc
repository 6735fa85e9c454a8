#include "pull/stored_token.h"

#include "core/secret_box.h"

namespace telecollect::pull {
namespace {

constexpr const char* kKey = "refresh_token";

// Binds a sealed value to its row: it cannot be copied to another connector.
std::string Context(const ApiConnector& c) { return std::string("connector_state\n") + c.name + "\n" + kKey; }

Result<SecretBox> Box(const ApiConnector& c) {
  if (c.auth.state_key_file.empty()) {
    return Status::Internal("connector " + c.name + ": no key file to seal its refresh token with");
  }
  auto box = SecretBox::FromKeyFile(c.auth.state_key_file);
  if (!box.ok()) return box.status().WithContext("connector " + c.name + ": refresh token key");
  return box;
}

// Reads the stored value; `was_plain` when it predates sealing.
Result<std::optional<std::string>> Load(store::ConnectorState& store, const ApiConnector& c, bool& was_plain) {
  was_plain = false;
  TC_ASSIGN_OR_RETURN(std::optional<std::string> stored, store.GetState(c.name, kKey));
  if (!stored) return stored;
  if (!SecretBox::IsSealed(*stored)) {
    was_plain = true;
    TC_RETURN_IF_ERROR(SaveRefreshToken(store, c, *stored));
    return stored;
  }
  TC_ASSIGN_OR_RETURN(SecretBox box, Box(c));
  auto plain = box.Open(*stored, Context(c));
  if (!plain.ok()) return plain.status().WithContext("connector " + c.name + ": stored refresh token");
  return std::optional<std::string>(std::move(plain).value());
}

}  // namespace

Result<std::optional<std::string>> LoadRefreshToken(store::ConnectorState& store, const ApiConnector& connector) {
  bool was_plain = false;
  return Load(store, connector, was_plain);
}

Status SaveRefreshToken(store::ConnectorState& store, const ApiConnector& connector, std::string_view token) {
  TC_ASSIGN_OR_RETURN(SecretBox box, Box(connector));
  return store.PutState(connector.name, kKey, box.Seal(token, Context(connector)), std::nullopt);
}

Result<size_t> SealStoredRefreshTokens(store::ConnectorState& store, const std::vector<ApiConnector>& connectors) {
  size_t sealed = 0;
  Status first_error;
  for (const ApiConnector& c : connectors) {
    if (c.auth.kind != AuthConfig::Kind::kOAuth2RefreshToken) continue;
    bool was_plain = false;
    auto r = Load(store, c, was_plain);
    if (!r.ok() && first_error.ok()) first_error = r.status();
    if (r.ok() && was_plain) ++sealed;
  }
  if (!first_error.ok()) return first_error;
  return sealed;
}

}  // namespace telecollect::pull
