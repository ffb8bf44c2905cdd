// SPDX-License-Identifier: MIT
#include "server/jwt.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QTest>

using namespace voxtrack;
using namespace voxtrack::server;

namespace {

const QByteArray secret = QByteArrayLiteral("voxtrack-test-secret-0123456789abcdef");
/// The fixed "now" of the matrix: 2025-10-18T09:30:00Z.
const QDateTime now = QDateTime(QDate(2025, 10, 18), QTime(9, 30), Qt::UTC);

QByteArray base64Url(const QByteArray& data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray compact(const QJsonObject& object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

/// A token made by hand, for headers and payloads signJwt() would never write.
QByteArray handMade(const QByteArray& headerJson, const QByteArray& payloadJson, QByteArrayView key)
{
    const QByteArray input = base64Url(headerJson) + '.' + base64Url(payloadJson);
    return input + '.'
        + base64Url(QMessageAuthenticationCode::hash(input, key.toByteArray(), QCryptographicHash::Sha256));
}

qint64 at(qint64 secondsFromNow)
{
    return now.toSecsSinceEpoch() + secondsFromNow;
}

/// A payload verifyJwt accepts at `now`, with `changes` applied (a null value removes a claim).
QJsonObject claims(const QJsonObject& changes = {})
{
    QJsonObject payload {
        {QStringLiteral("sub"), QStringLiteral("user-42")},
        {QStringLiteral("exp"), at(3600)},
        {QStringLiteral("iat"), at(-60)},
        {QStringLiteral("role"), QStringLiteral("authenticated")},
    };
    for (auto it = changes.begin(); it != changes.end(); ++it) {
        if (it->isNull())
            payload.remove(it.key());
        else
            payload.insert(it.key(), *it);
    }
    return payload;
}

QByteArray token(const QJsonObject& changes = {})
{
    return signJwt(claims(changes), secret);
}

/// The token with one of its three parts replaced.
QByteArray withPart(const QByteArray& original, int index, const QByteArray& part)
{
    QList<QByteArray> parts = original.split('.');
    parts[index] = part;
    return parts.join('.');
}

} // namespace

class TestJwt : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void verification_data()
    {
        QTest::addColumn<QByteArray>("token");
        QTest::addColumn<QString>("code"); // empty: the token verifies
        QTest::addColumn<QString>("mentions"); // the sentence contains this

        const QString invalid = QStringLiteral("auth.invalid");
        const QString expired = QStringLiteral("auth.expired");
        const QByteArray good = token();
        const QByteArray hs256Header = compact({{QStringLiteral("alg"), QStringLiteral("HS256")}});

        QTest::addRow("valid") << good << QString() << QString();
        QTest::addRow("valid without typ")
            << handMade(hs256Header, compact(claims()), secret) << QString() << QString();
        QTest::addRow("wrong secret") << signJwt(claims(), "another-secret") << invalid << QStringLiteral("signature");
        {
            QJsonObject tampered = claims();
            tampered.insert(QStringLiteral("sub"), QStringLiteral("admin"));
            QTest::addRow("tampered payload")
                << withPart(good, 1, base64Url(compact(tampered))) << invalid << QStringLiteral("signature");
        }
        QTest::addRow("tampered signature")
            << withPart(good, 2, base64Url(QByteArray(32, 'x'))) << invalid << QStringLiteral("signature");
        QTest::addRow("truncated signature") << good.first(good.size() - 4) << invalid << QStringLiteral("signature");
        QTest::addRow("alg none") << base64Url(compact({{QStringLiteral("alg"), QStringLiteral("none")}})) + '.'
                + base64Url(compact(claims()))
                + '.' << invalid << QStringLiteral("\"none\"");
        QTest::addRow("alg HS512") << handMade(
            compact({{QStringLiteral("alg"), QStringLiteral("HS512")}}), compact(claims()), secret)
                                   << invalid << QStringLiteral("\"HS512\"");
        QTest::addRow("alg hs256 lower case")
            << handMade(compact({{QStringLiteral("alg"), QStringLiteral("hs256")}}), compact(claims()), secret)
            << invalid << QStringLiteral("\"hs256\"");
        QTest::addRow("alg missing") << handMade(
            compact({{QStringLiteral("typ"), QStringLiteral("JWT")}}), compact(claims()), secret)
                                     << invalid << QStringLiteral("\"alg\"");
        QTest::addRow("crit header") << handMade(compact({{QStringLiteral("alg"), QStringLiteral("HS256")},
                                                     {QStringLiteral("crit"), QJsonArray {QStringLiteral("b64")}}}),
            compact(claims()), secret)
                                     << invalid << QStringLiteral("crit");
        QTest::addRow("header not JSON") << handMade("alg=HS256", compact(claims()), secret) << invalid
                                         << QStringLiteral("header");
        QTest::addRow("payload not an object")
            << handMade(hs256Header, "[1,2]", secret) << invalid << QStringLiteral("payload");
        QTest::addRow("expired") << token({{QStringLiteral("exp"), at(-31)}}) << expired
                                 << QStringLiteral("2025-10-18T09:29:29Z");
        QTest::addRow("expired at the end of the leeway")
            << token({{QStringLiteral("exp"), at(-30)}}) << expired << QStringLiteral("2025-10-18T09:29:30Z");
        QTest::addRow("expired within leeway ok")
            << token({{QStringLiteral("exp"), at(-10)}}) << QString() << QString();
        QTest::addRow("fractional exp ok") << token({{QStringLiteral("exp"), at(60) + 0.5}}) << QString() << QString();
        QTest::addRow("nbf future") << token({{QStringLiteral("nbf"), at(3600)}}) << invalid
                                    << QStringLiteral("2025-10-18T10:30:00Z");
        QTest::addRow("nbf within leeway ok") << token({{QStringLiteral("nbf"), at(20)}}) << QString() << QString();
        QTest::addRow("nbf past ok") << token({{QStringLiteral("nbf"), at(-20)}}) << QString() << QString();
        QTest::addRow("nbf not a number")
            << token({{QStringLiteral("nbf"), QStringLiteral("soon")}}) << invalid << QStringLiteral("\"nbf\"");
        QTest::addRow("missing sub") << token({{QStringLiteral("sub"), QJsonValue::Null}}) << invalid
                                     << QStringLiteral("\"sub\"");
        QTest::addRow("empty sub") << token({{QStringLiteral("sub"), QString()}}) << invalid
                                   << QStringLiteral("\"sub\"");
        QTest::addRow("sub not a string")
            << token({{QStringLiteral("sub"), 42}}) << invalid << QStringLiteral("\"sub\"");
        QTest::addRow("missing exp") << token({{QStringLiteral("exp"), QJsonValue::Null}}) << invalid
                                     << QStringLiteral("no expiry");
        QTest::addRow("exp a string") << token({{QStringLiteral("exp"), QStringLiteral("4102444800")}}) << invalid
                                      << QStringLiteral("\"exp\"");
        QTest::addRow("exp negative") << token({{QStringLiteral("exp"), -1}}) << invalid << QStringLiteral("\"exp\"");
        QTest::addRow("garbage") << QByteArray("not a token") << invalid << QStringLiteral("1 parts");
        QTest::addRow("empty") << QByteArray() << invalid << QStringLiteral("empty");
        QTest::addRow("two parts") << good.first(good.lastIndexOf('.')) << invalid << QStringLiteral("2 parts");
        QTest::addRow("four parts") << good + ".e30" << invalid << QStringLiteral("4 parts");
        QTest::addRow("bad base64 payload") << withPart(good, 1, "eyJzdWIiOiJ1c2VyLTQyIn0*") << invalid
                                            << QStringLiteral("payload is not valid base64url");
        QTest::addRow("standard base64 alphabet")
            << withPart(good, 2, "abc+/def") << invalid << QStringLiteral("signature is not valid base64url");
        QTest::addRow("impossible base64 length")
            << withPart(good, 1, "eyJzdWIiOiJ1c2VyLTQyIn0AA") << invalid << QStringLiteral("payload");
        QTest::addRow("empty signature") << withPart(good, 2, QByteArray()) << invalid << QStringLiteral("signature");
    }

    void verification()
    {
        QFETCH(QByteArray, token);
        QFETCH(QString, code);
        QFETCH(QString, mentions);
        const auto verified = verifyJwt(token, secret, now);
        if (code.isEmpty()) {
            QVERIFY2(verified.hasValue(), qPrintable(verified.errorText()));
            QCOMPARE(verified->sub, QStringLiteral("user-42"));
            return;
        }
        QVERIFY2(!verified.hasValue(), "the token verified but should not have");
        QCOMPARE(verified.error().code, code);
        QVERIFY2(verified.error().message.contains(mentions), qPrintable(verified.errorText()));
        QVERIFY2(!verified.error().message.contains(QString::fromLatin1(secret)), "the sentence quotes the secret");
    }

    // Computed independently with Python's standard library:
    //   import hmac, hashlib, base64, json
    //   b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    //   secret = b"voxtrack-test-secret-0123456789abcdef"
    //   h = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    //   p = b64(json.dumps({"aud": "authenticated", "exp": 4102444800, "iat": 1760779800,
    //           "role": "authenticated", "sub": "7c0e5a0e-2f4b-4a57-9d6e-3b2f1c0d9a11"},
    //           separators=(",", ":")).encode())
    //   print(h + "." + p + "." + b64(hmac.new(secret, (h + "." + p).encode(), hashlib.sha256).digest()))
    void knownVector()
    {
        const QByteArray vector = QByteArrayLiteral("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                                                    "eyJhdWQiOiJhdXRoZW50aWNhdGVkIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3Nj"
                                                    "A3Nzk4MDAsInJvbGUiOiJhdXRoZW50aWNhdGVkIiwic3"
                                                    "ViIjoiN2MwZTVhMGUtMmY0Yi00YTU3LTlkNmUtM2IyZjFjMGQ5YTExIn0."
                                                    "iAFuZYMUp4-PfgcXyE2vAEu69OIr2wdMBpYxeY_qh24");

        const auto verified = verifyJwt(vector, secret, now);
        QVERIFY2(verified.hasValue(), qPrintable(verified.errorText()));
        QCOMPARE(verified->sub, QStringLiteral("7c0e5a0e-2f4b-4a57-9d6e-3b2f1c0d9a11"));
        QCOMPARE(verified->exp, QDateTime(QDate(2100, 1, 1), QTime(0, 0), Qt::UTC));
        QVERIFY(verified->iat.has_value());
        QCOMPARE(*verified->iat, QDateTime::fromSecsSinceEpoch(1760779800, Qt::UTC));
        QVERIFY(!verified->nbf.has_value());
        QCOMPARE(verified->role, std::optional<QString>(QStringLiteral("authenticated")));
        QCOMPARE(verified->payload.value(QStringLiteral("aud")).toString(), QStringLiteral("authenticated"));

        // signJwt writes the same bytes: sorted keys, compact JSON, no padding.
        const QJsonObject payload {
            {QStringLiteral("aud"), QStringLiteral("authenticated")},
            {QStringLiteral("exp"), 4102444800LL},
            {QStringLiteral("iat"), 1760779800LL},
            {QStringLiteral("role"), QStringLiteral("authenticated")},
            {QStringLiteral("sub"), QStringLiteral("7c0e5a0e-2f4b-4a57-9d6e-3b2f1c0d9a11")},
        };
        QCOMPARE(signJwt(payload, secret), vector);

        const auto wrongKey = verifyJwt(vector, "voxtrack-test-secret-0123456789abcdeF", now);
        QVERIFY(!wrongKey.hasValue());
        QCOMPARE(wrongKey.error().code, QStringLiteral("auth.invalid"));
    }

    void claimsWithoutOptionalOnes()
    {
        const auto verified
            = verifyJwt(token({{QStringLiteral("iat"), QJsonValue::Null}, {QStringLiteral("role"), QJsonValue::Null}}),
                secret, now);
        QVERIFY2(verified.hasValue(), qPrintable(verified.errorText()));
        QVERIFY(!verified->iat.has_value());
        QVERIFY(!verified->nbf.has_value());
        QVERIFY(!verified->role.has_value());
        QCOMPARE(verified->exp, now.addSecs(3600));
    }

    void leewayIsAParameter()
    {
        const QByteArray expiredTenSecondsAgo = token({{QStringLiteral("exp"), at(-10)}});
        QVERIFY(verifyJwt(expiredTenSecondsAgo, secret, now, 30).hasValue());
        const auto strict = verifyJwt(expiredTenSecondsAgo, secret, now, 0);
        QVERIFY(!strict.hasValue());
        QCOMPARE(strict.error().code, QStringLiteral("auth.expired"));
        QVERIFY(!verifyJwt(token({{QStringLiteral("nbf"), at(5)}}), secret, now, 0).hasValue());
    }

    void emptySecretRefusesEverything()
    {
        const QByteArray signedWithNothing = signJwt(claims(), QByteArrayView());
        const auto verified = verifyJwt(signedWithNothing, QByteArrayView(), now);
        QVERIFY(!verified.hasValue());
        QCOMPARE(verified.error().code, QStringLiteral("auth.invalid"));
        QVERIFY2(verified.error().message.contains(QStringLiteral("secret")), qPrintable(verified.errorText()));
    }

    void defaultNowIsTheClock()
    {
        const qint64 current = QDateTime::currentSecsSinceEpoch();
        QVERIFY(verifyJwt(signJwt(claims({{QStringLiteral("exp"), current + 600}}), secret), secret).hasValue());
        const auto old = verifyJwt(signJwt(claims({{QStringLiteral("exp"), current - 600}}), secret), secret);
        QVERIFY(!old.hasValue());
        QCOMPARE(old.error().code, QStringLiteral("auth.expired"));
    }

    void bearerTokens_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<QString>("token");
        QTest::addRow("plain") << QByteArray("Bearer abc.def.ghi") << QStringLiteral("abc.def.ghi");
        QTest::addRow("lower case scheme") << QByteArray("bearer abc.def.ghi") << QStringLiteral("abc.def.ghi");
        QTest::addRow("upper case scheme") << QByteArray("BEARER abc.def.ghi") << QStringLiteral("abc.def.ghi");
        QTest::addRow("extra spaces") << QByteArray("  Bearer \t abc.def.ghi  ") << QStringLiteral("abc.def.ghi");
        QTest::addRow("empty") << QByteArray() << QString();
        QTest::addRow("scheme only") << QByteArray("Bearer") << QString();
        QTest::addRow("scheme and space") << QByteArray("Bearer   ") << QString();
        QTest::addRow("no space") << QByteArray("Bearerabc.def.ghi") << QString();
        QTest::addRow("basic") << QByteArray("Basic dXNlcjpwYXNz") << QString();
        QTest::addRow("two words") << QByteArray("Bearer abc def") << QString();
        QTest::addRow("non-ASCII") << QByteArray("Bearer abc\xc3\xa9") << QString();
    }

    void bearerTokens()
    {
        QFETCH(QByteArray, header);
        QFETCH(QString, token);
        QCOMPARE(bearerToken(header), token);
    }

    void bearerTokenRoundTrip()
    {
        const QByteArray issued = token();
        const QString extracted = bearerToken(QByteArray("Bearer " + issued));
        const auto verified = verifyJwt(extracted.toLatin1(), secret, now);
        QVERIFY2(verified.hasValue(), qPrintable(verified.errorText()));
    }
};

QTEST_GUILESS_MAIN(TestJwt)
#include "tst_jwt.moc"
