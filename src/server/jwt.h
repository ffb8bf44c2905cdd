// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <optional>

/// HS256 JSON Web Tokens as Supabase issues them: the bearer tokens voxtrackd accepts. Only
/// what the server needs: HMAC-SHA256 with a shared secret, the registered time claims, and
/// `sub` as the user id. Plain functions on values, safe to call from any thread.
namespace voxtrack::server {

/// The claims of a verified token.
struct Claims {
    QString sub; ///< the user id; never empty
    QDateTime exp; ///< the expiry, UTC; always present in a verified token
    std::optional<QDateTime> iat; ///< issued at, UTC, when the token says
    std::optional<QDateTime> nbf; ///< not before, UTC, when the token says
    std::optional<QString> role; ///< Supabase's "role" claim ("authenticated", "anon"…), when given
    QJsonObject payload; ///< every claim as sent, including ones not listed above
};

/// The default allowance for clock differences between the issuer and this server.
inline constexpr int defaultLeewaySeconds = 30;

/// Verifies a compact HS256 token (header.payload.signature, base64url without padding) against
/// a shared secret. Refused, with code "auth.invalid": anything that is not three valid base64url
/// parts, a header that is not a JSON object or whose "alg" is not exactly "HS256" ("none"
/// included), a signature that does not verify (compared in constant time), a payload without a
/// non-empty string "sub", without "exp" or with time claims that are not numbers, a "nbf" later
/// than now + leeway, and an empty secret. With code "auth.expired": an "exp" at or before
/// now − leeway. The sentence names the problem and what to do; it never quotes the secret.
[[nodiscard]] Expected<Claims> verifyJwt(QByteArrayView token, QByteArrayView secret,
    const QDateTime& now = QDateTime::currentDateTimeUtc(), int leewaySeconds = defaultLeewaySeconds);

/// Signs a payload with HS256: header {"alg":"HS256","typ":"JWT"}, compact JSON, base64url
/// without padding. The payload is written as given (add "sub" and "exp" for verifyJwt to
/// accept it). For tests and for issuing local tokens.
[[nodiscard]] QByteArray signJwt(const QJsonObject& payload, QByteArrayView secret);

/// The token of an Authorization header value "Bearer <token>" (the scheme in any case,
/// surrounding spaces ignored). Empty when the header is empty, uses another scheme, has no
/// token, or has more than one word after the scheme.
[[nodiscard]] QString bearerToken(QByteArrayView authorizationHeader);

} // namespace voxtrack::server
