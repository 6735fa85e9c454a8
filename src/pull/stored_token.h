#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "pull/api_connector.h"
#include "store/store.h"

namespace telecollect::pull {

// The OAuth2 refresh token a connector keeps in the store (connector state
// "refresh_token"), sealed at rest with AES-256-GCM (core/secret_box.h) under
// the key file its AuthConfig names (`state_key_file`, <data_dir>/state.key),
// created on first need. A sealed value opens only for its own connector and
// key. Errors say what failed, never the token.

// The stored token, if any. A plain one (written before tokens were sealed)
// is returned and sealed in place at once.
Result<std::optional<std::string>> LoadRefreshToken(store::ConnectorState& store, const ApiConnector& connector);

// Seals `token` and stores it (durable on return).
Status SaveRefreshToken(store::ConnectorState& store, const ApiConnector& connector, std::string_view token);

// At start: seals every plain refresh token kept by these connectors (the
// ones of kind oauth2_refresh_token). Returns how many were sealed; a
// connector that fails is named in the error after the others were done.
Result<size_t> SealStoredRefreshTokens(store::ConnectorState& store, const std::vector<ApiConnector>& connectors);

}  // namespace telecollect::pull
