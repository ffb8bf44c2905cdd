// SPDX-License-Identifier: MIT
#include "server/jwt.h"

#include "core/protocol.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonValue>
#include <QList>
#include <QMessageAuthenticationCode>

#include <algorithm>
#include <cmath>
#include <utility>

namespace voxtrack::server {

namespace {

/// The largest NumericDate accepted: 9999-12-31T23:59:59Z. Anything later is not a date.
constexpr double maxNumericDate = 253402300799.0;
/// An algorithm name is quoted in full up to this length, then cut.
constexpr qsizetype quoteLimit = 40;

Error invalid(const QString& message)
{
    return Error {QString(protocol::codes::authInvalid), message};
}

QString quoted(const QString& text)
{
    if (text.size() <= quoteLimit)
        return u'"' + text + u'"';
    return u'"' + text.left(quoteLimit) + QChar(0x2026) + u'"';
}

/// Strict base64url: only [A-Za-z0-9_-], no padding needed (padding accepted), a length that
/// can encode whole bytes. Qt's decoder alone accepts a dangling sixth bit group.
std::optional<QByteArray> decodeBase64Url(QByteArrayView text)
{
    QByteArrayView body = text;
    while (body.endsWith('='))
        body.chop(1);
    if (text.size() - body.size() > 2 || body.size() % 4 == 1)
        return std::nullopt;
    for (char c : body) {
        const bool ok
            = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok)
            return std::nullopt;
    }
    auto decoded = QByteArray::fromBase64Encoding(body.toByteArray(),
        QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    return std::move(*decoded);
}

QByteArray encodeBase64Url(const QByteArray& data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray hmacSha256(QByteArrayView message, QByteArrayView secret)
{
    return QMessageAuthenticationCode::hash(message.toByteArray(), secret.toByteArray(), QCryptographicHash::Sha256);
}

/// Equal contents, in a time that depends only on the lengths (which are not secret: an
/// HMAC-SHA256 is always 32 bytes), so a forger learns nothing from how long a refusal takes.
bool constantTimeEquals(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
    return difference == 0;
}

/// The name of a token part, for sentences.
QString partName(int index)
{
    switch (index) {
    case 0:
        return QCoreApplication::translate("voxtrack::server::Jwt", "header");
    case 1:
        return QCoreApplication::translate("voxtrack::server::Jwt", "payload");
    default:
        return QCoreApplication::translate("voxtrack::server::Jwt", "signature");
    }
}

/// A NumericDate claim (seconds since 1970, possibly fractional) as a UTC time.
std::optional<QDateTime> numericDate(const QJsonValue& value)
{
    if (!value.isDouble())
        return std::nullopt;
    const double seconds = value.toDouble();
    if (!std::isfinite(seconds) || seconds < 0 || seconds > maxNumericDate)
        return std::nullopt;
    return QDateTime::fromMSecsSinceEpoch(std::llround(seconds * 1000.0), Qt::UTC);
}

QString formatTime(const QDateTime& time)
{
    return time.toUTC().toString(Qt::ISODate);
}

} // namespace

Expected<Claims> verifyJwt(QByteArrayView token, QByteArrayView secret, const QDateTime& now, int leewaySeconds)
{
    if (secret.isEmpty())
        return invalid(QCoreApplication::translate("voxtrack::server::Jwt",
            "The server has no JWT secret to verify tokens with: configure the project's JWT secret."));
    if (token.isEmpty())
        return invalid(QCoreApplication::translate(
            "voxtrack::server::Jwt", "The bearer token is empty: send the access token after \"Bearer \"."));

    QList<QByteArrayView> parts;
    qsizetype start = 0;
    for (qsizetype dot = token.indexOf('.'); dot >= 0; dot = token.indexOf('.', start)) {
        parts << token.sliced(start, dot - start);
        start = dot + 1;
    }
    parts << token.sliced(start);
    if (parts.size() != 3) {
        return invalid(QCoreApplication::translate("voxtrack::server::Jwt",
            "The token has %1 parts separated by \".\", not 3: send a JWT "
            "(header.payload.signature) exactly as it was issued.")
                           .arg(parts.size()));
    }

    // The header first, so that an unsigned or foreign token is named as such rather than
    // refused for its (often empty) signature.
    QByteArray decoded[3];
    const auto decodePart = [&](int index) -> Status {
        auto bytes = decodeBase64Url(parts[index]);
        if (!bytes || bytes->isEmpty()) {
            return invalid(QCoreApplication::translate("voxtrack::server::Jwt",
                "The token's %1 is not valid base64url: send the token exactly as it was issued.")
                               .arg(partName(index)));
        }
        decoded[index] = std::move(*bytes);
        return {};
    };
    if (auto error = decodePart(0); !error.isNull())
        return error;

    const QJsonDocument header = QJsonDocument::fromJson(decoded[0]);
    if (!header.isObject())
        return invalid(QCoreApplication::translate(
            "voxtrack::server::Jwt", "The token's header is not a JSON object: send a JWT as it was issued."));
    const QJsonValue alg = header.object().value(QStringLiteral("alg"));
    if (!alg.isString()) {
        return invalid(QCoreApplication::translate("voxtrack::server::Jwt",
            "The token's header has no \"alg\" naming its algorithm: send an HS256 token as "
            "Supabase issues them."));
    }
    if (alg.toString() == QStringLiteral("none")) {
        return invalid(QCoreApplication::translate("voxtrack::server::Jwt",
            "The token is not signed (algorithm \"none\"): send a token signed with HS256, as "
            "Supabase issues them."));
    }
    if (alg.toString() != QStringLiteral("HS256")) {
        return invalid(QCoreApplication::translate("voxtrack::server::Jwt",
            "The token is signed with the algorithm %1, not HS256: send an HS256 token, as Supabase "
            "issues them.")
                           .arg(quoted(alg.toString())));
    }
    if (header.object().contains(QStringLiteral("crit"))) {
        return invalid(QCoreApplication::translate("voxtrack::server::Jwt",
            "The token's header has critical extensions (\"crit\") this server does not "
            "understand: send a plain HS256 token."));
    }

    for (int index : {1, 2}) {
        if (auto error = decodePart(index); !error.isNull())
            return error;
    }
    const QByteArrayView signingInput = token.first(parts[0].size() + 1 + parts[1].size());
    if (!constantTimeEquals(hmacSha256(signingInput, secret), decoded[2])) {
        return invalid(QCoreApplication::translate("voxtrack::server::Jwt",
            "The token's signature does not verify: check that the server has the JWT secret of the "
            "project that issued the token, and send the token unaltered."));
    }

    const QJsonDocument payload = QJsonDocument::fromJson(decoded[1]);
    if (!payload.isObject())
        return invalid(QCoreApplication::translate(
            "voxtrack::server::Jwt", "The token's payload is not a JSON object: send a JWT as it was issued."));

    Claims claims;
    claims.payload = payload.object();

    const QJsonValue sub = claims.payload.value(QStringLiteral("sub"));
    if (!sub.isString() || sub.toString().isEmpty()) {
        return invalid(QCoreApplication::translate("voxtrack::server::Jwt",
            "The token has no user id (a non-empty string \"sub\" claim): use the access token of a "
            "signed-in user."));
    }
    claims.sub = sub.toString();

    const QJsonValue expValue = claims.payload.value(QStringLiteral("exp"));
    if (expValue.isUndefined() || expValue.isNull()) {
        return invalid(QCoreApplication::translate("voxtrack::server::Jwt",
            "The token has no expiry (\"exp\" claim) and tokens that never expire are refused: issue "
            "one with an expiry."));
    }
    const auto exp = numericDate(expValue);
    if (!exp) {
        return invalid(QCoreApplication::translate("voxtrack::server::Jwt",
            "The token's \"exp\" claim is not a time in seconds since 1970: issue a token with a "
            "valid expiry."));
    }
    claims.exp = *exp;

    for (const auto& [name, target] :
        {std::pair {QStringLiteral("iat"), &claims.iat}, std::pair {QStringLiteral("nbf"), &claims.nbf}}) {
        const QJsonValue value = claims.payload.value(name);
        if (value.isUndefined() || value.isNull())
            continue;
        const auto time = numericDate(value);
        if (!time) {
            return invalid(QCoreApplication::translate("voxtrack::server::Jwt",
                "The token's \"%1\" claim is not a time in seconds since 1970: issue a token with "
                "valid times.")
                               .arg(name));
        }
        *target = *time;
    }

    const QJsonValue role = claims.payload.value(QStringLiteral("role"));
    if (role.isString())
        claims.role = role.toString();

    const QDateTime utcNow = now.toUTC();
    const int leeway = std::max(leewaySeconds, 0);
    if (claims.exp.addSecs(leeway) <= utcNow) {
        return Error {QString(protocol::codes::authExpired),
            QCoreApplication::translate(
                "voxtrack::server::Jwt", "The token expired at %1: sign in again to get a fresh one.")
                .arg(formatTime(claims.exp))};
    }
    if (claims.nbf && *claims.nbf > utcNow.addSecs(leeway)) {
        return invalid(QCoreApplication::translate("voxtrack::server::Jwt",
            "The token is not valid before %1: wait until then, or check the clocks of the "
            "issuer and of this server.")
                           .arg(formatTime(*claims.nbf)));
    }
    return claims;
}

QByteArray signJwt(const QJsonObject& payload, QByteArrayView secret)
{
    const QJsonObject header {
        {QStringLiteral("alg"), QStringLiteral("HS256")}, {QStringLiteral("typ"), QStringLiteral("JWT")}};
    const QByteArray signingInput = encodeBase64Url(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
        + encodeBase64Url(QJsonDocument(payload).toJson(QJsonDocument::Compact));
    return signingInput + '.' + encodeBase64Url(hmacSha256(signingInput, secret));
}

QString bearerToken(QByteArrayView authorizationHeader)
{
    const QByteArrayView header = authorizationHeader.trimmed();
    constexpr QByteArrayView scheme("Bearer");
    if (header.size() <= scheme.size() || header.first(scheme.size()).compare(scheme, Qt::CaseInsensitive) != 0)
        return {};
    const char separator = header[scheme.size()];
    if (separator != ' ' && separator != '\t')
        return {};
    const QByteArrayView token = header.sliced(scheme.size()).trimmed();
    for (char c : token) {
        if (c < 0x21 || c > 0x7e) // spaces, controls, non-ASCII: not a token
            return {};
    }
    return QString::fromLatin1(token);
}

} // namespace voxtrack::server
