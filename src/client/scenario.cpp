// SPDX-License-Identifier: MIT
#include "client/scenario.h"

#include "core/jsontext.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QJsonValue>
#include <QSet>
#include <QStringList>
#include <QUuid>

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

namespace voxtrack::client {

namespace {

using json::describeValue;
using json::isAbsent;

const QString sessionNumberName = QStringLiteral("n");
const QString userIdName = QStringLiteral("user_id");
const QString uuidName = QStringLiteral("uuid");

/// One piece of a text with placeholders: literal text, or the name of a placeholder.
struct Piece {
    bool isPlaceholder = false;
    QString text;
};

/// Splits text at its placeholders; {{ and }} are literal braces. On a lone brace, returns
/// std::nullopt and sets problem to a sentence (after the path) saying what to do.
std::optional<QList<Piece>> split(const QString& source, QString* problem)
{
    QList<Piece> pieces;
    QString literal;
    const auto flush = [&] {
        if (!literal.isEmpty())
            pieces << Piece {false, std::exchange(literal, QString())};
    };
    for (qsizetype i = 0; i < source.size(); ++i) {
        const QChar c = source[i];
        if (c == u'}') {
            if (i + 1 < source.size() && source[i + 1] == u'}') {
                literal += u'}';
                ++i;
                continue;
            }
            if (problem) {
                *problem = QCoreApplication::translate("voxtrack::client::Scenario",
                    "the \"}\" at offset %1 closes no placeholder: write }} for a literal brace.")
                               .arg(i);
            }
            return std::nullopt;
        }
        if (c != u'{') {
            literal += c;
            continue;
        }
        if (i + 1 < source.size() && source[i + 1] == u'{') {
            literal += u'{';
            ++i;
            continue;
        }
        const qsizetype close = source.indexOf(u'}', i + 1);
        if (close < 0) {
            if (problem) {
                *problem = QCoreApplication::translate("voxtrack::client::Scenario",
                    "the \"{\" at offset %1 is not closed: end the placeholder with \"}\", or write {{ "
                    "for a literal brace.")
                               .arg(i);
            }
            return std::nullopt;
        }
        flush();
        pieces << Piece {true, source.sliced(i + 1, close - i - 1)};
        i = close;
    }
    flush();
    return pieces;
}

bool isCaptureName(const QString& name)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    return pattern.match(name).hasMatch();
}

QJsonValue fillNumber(const QJsonValue& value, int n)
{
    if (value.isString()) {
        // Checked at load: only {n}, {{ and }} can be in it.
        QString result;
        for (const Piece& piece : split(value.toString(), nullptr).value_or(QList<Piece> {}))
            result += piece.isPlaceholder ? QString::number(n) : piece.text;
        return result;
    }
    if (value.isArray()) {
        QJsonArray result;
        for (const QJsonValue& item : value.toArray())
            result.append(fillNumber(item, n));
        return result;
    }
    if (value.isObject()) {
        QJsonObject result;
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it)
            result.insert(it.key(), fillNumber(it.value(), n));
        return result;
    }
    return value;
}

/// Reads a scenario document, stopping at the first mistake. Every sentence starts with the
/// JSON path of the mistake.
struct Reader : json::DocumentReader {
    Reader()
        : DocumentReader(QStringLiteral("scenario.invalid"))
    {
    }

    /// A whole number from low to high; absent gives `absent`.
    std::optional<int> whole(
        const QJsonValue& value, const QString& path, int low, int high, int absent, const QString& expectation)
    {
        if (isAbsent(value))
            return absent;
        const double number = value.toDouble(-1);
        if (!value.isDouble() || number != std::floor(number) || number < low || number > high) {
            failType(path, expectation.arg(low).arg(high), value);
            return std::nullopt;
        }
        return static_cast<int>(number);
    }

    std::optional<int> milliseconds(const QJsonValue& value, const QString& path, int low)
    {
        return whole(value, path, low, Scenario::maxMs, 0,
            QCoreApplication::translate("voxtrack::client::Scenario", "a whole number of milliseconds from %1 to %2"));
    }

    /// A number in [low, high] (or (low, high] when lowExclusive); absent gives std::nullopt
    /// without an error, so check `error` after.
    std::optional<double> number(
        const QJsonValue& value, const QString& path, double low, double high, bool lowExclusive, const QString& what)
    {
        if (isAbsent(value))
            return std::nullopt;
        const double number = value.toDouble();
        if (!value.isDouble() || !std::isfinite(number) || number > high || number < low
            || (lowExclusive && number == low)) {
            failType(path, what, value);
            return std::nullopt;
        }
        return number;
    }

    std::optional<QJsonObject> jsonObject(const QJsonValue& value, const QString& path)
    {
        if (isAbsent(value))
            return QJsonObject();
        if (!value.isObject()) {
            failType(path, QCoreApplication::translate("voxtrack::client::Scenario", "a JSON object"), value);
            return std::nullopt;
        }
        return value.toObject();
    }

    std::optional<QRegularExpression> regex(const QString& pattern, const QString& path)
    {
        QRegularExpression result(
            pattern, QRegularExpression::CaseInsensitiveOption | QRegularExpression::UseUnicodePropertiesOption);
        // isValid() compiles the pattern now, so that a run only ever matches.
        if (!result.isValid()) {
            fail(QCoreApplication::translate("voxtrack::client::Scenario",
                "%1: the regular expression is invalid (%2 at offset %3): fix the pattern.")
                     .arg(path, result.errorString())
                     .arg(result.patternErrorOffset()));
            return std::nullopt;
        }
        return result;
    }

    /// Checks that every placeholder of text is one of `allowed`; `advice` ends the sentence.
    bool placeholders(const QString& text, const QString& path, const std::function<bool(const QString&)>& allowed,
        const QString& advice)
    {
        QString problem;
        const auto pieces = split(text, &problem);
        if (!pieces)
            return failAt(path, problem);
        for (const Piece& piece : *pieces) {
            if (piece.isPlaceholder && !allowed(piece.text))
                return fail(QCoreApplication::translate(
                    "voxtrack::client::Scenario", "%1: the placeholder {%2} is not known: %3")
                                .arg(path, piece.text, advice));
        }
        return true;
    }

    /// Checks {n} in every string of session_metadata, nested ones included.
    bool metadataPlaceholders(const QJsonValue& value, const QString& path)
    {
        if (value.isString()) {
            return placeholders(
                value.toString(), path, [](const QString& name) { return name == sessionNumberName; },
                QCoreApplication::translate(
                    "voxtrack::client::Scenario", "use {n} for the session number, and {{ and }} for literal braces."));
        }
        if (value.isArray()) {
            const QJsonArray array = value.toArray();
            for (qsizetype i = 0; i < array.size(); ++i) {
                if (!metadataPlaceholders(array.at(i), path + QStringLiteral("[%1]").arg(i)))
                    return false;
            }
        } else if (value.isObject()) {
            const QJsonObject object = value.toObject();
            for (auto it = object.begin(); it != object.end(); ++it) {
                if (!metadataPlaceholders(it.value(), path + u'.' + it.key()))
                    return false;
            }
        }
        return true;
    }

    std::optional<ThinkTime> think(const QJsonValue& value, const QString& path)
    {
        const QString expectation = QCoreApplication::translate("voxtrack::client::Scenario",
            "a whole number of milliseconds from 0 to %1, or a range [min, max] of two such numbers")
                                        .arg(Scenario::maxMs);
        if (isAbsent(value))
            return ThinkTime {};
        if (value.isDouble()) {
            const auto ms = milliseconds(value, path, 0);
            if (!ms)
                return std::nullopt;
            return ThinkTime {*ms, *ms};
        }
        if (!value.isArray() || value.toArray().size() != 2) {
            failType(path, expectation, value);
            return std::nullopt;
        }
        const QJsonArray range = value.toArray();
        int bounds[2] = {0, 0};
        for (int i = 0; i < 2; ++i) {
            const QString boundPath = path + QStringLiteral("[%1]").arg(i);
            if (isAbsent(range.at(i))) {
                failType(boundPath,
                    QCoreApplication::translate(
                        "voxtrack::client::Scenario", "a whole number of milliseconds from 0 to %1")
                        .arg(Scenario::maxMs),
                    range.at(i));
                return std::nullopt;
            }
            const auto bound = milliseconds(range.at(i), boundPath, 0);
            if (!bound)
                return std::nullopt;
            bounds[i] = *bound;
        }
        if (bounds[0] > bounds[1]) {
            fail(QCoreApplication::translate(
                "voxtrack::client::Scenario", "%1: the range [%2, %3] is inverted: write the shorter time first.")
                     .arg(path)
                     .arg(bounds[0])
                     .arg(bounds[1]));
            return std::nullopt;
        }
        return ThinkTime {bounds[0], bounds[1]};
    }

    std::optional<Expectation> expectation(const QJsonValue& value, const QString& path)
    {
        if (!value.isObject()) {
            failType(path,
                QCoreApplication::translate(
                    "voxtrack::client::Scenario", "an object with \"contains\", \"regex\", \"within_ms\" or \"role\""),
                value);
            return std::nullopt;
        }
        const QJsonObject object = value.toObject();
        if (!checkKeys(object, path,
                {QStringLiteral("role"), QStringLiteral("contains"), QStringLiteral("regex"),
                    QStringLiteral("within_ms")}))
            return std::nullopt;
        Expectation result;
        const QJsonValue role = object.value(QStringLiteral("role"));
        if (!isAbsent(role)) {
            const auto parsed = roleOf(role, path + QStringLiteral(".role"));
            if (!parsed)
                return std::nullopt;
            result.role = *parsed;
        }
        const auto contains
            = string(object.value(QStringLiteral("contains")), path + QStringLiteral(".contains"), false, true);
        if (!contains)
            return std::nullopt;
        result.contains = *contains;
        const QJsonValue regexValue = object.value(QStringLiteral("regex"));
        if (!isAbsent(regexValue)) {
            const QString regexPath = path + QStringLiteral(".regex");
            const auto pattern = string(regexValue, regexPath, true, true);
            if (!pattern)
                return std::nullopt;
            auto compiled = regex(*pattern, regexPath);
            if (!compiled)
                return std::nullopt;
            result.regex = std::move(*compiled);
        }
        const auto within
            = milliseconds(object.value(QStringLiteral("within_ms")), path + QStringLiteral(".within_ms"), 1);
        if (!within)
            return std::nullopt;
        result.withinMs = *within;
        return result;
    }

    std::optional<Role> roleOf(const QJsonValue& value, const QString& path)
    {
        if (!value.isString()) {
            failType(path,
                QCoreApplication::translate("voxtrack::client::Scenario", "one of %1")
                    .arg(roleNames().join(QStringLiteral(", "))),
                value);
            return std::nullopt;
        }
        const auto role = parseRole(value.toString());
        if (!role) {
            failAt(path, role.error().message);
            return std::nullopt;
        }
        return *role;
    }

    std::optional<QList<Capture>> captures(const QJsonValue& value, const QString& path)
    {
        if (isAbsent(value))
            return QList<Capture> {};
        if (!value.isObject()) {
            failType(path,
                QCoreApplication::translate("voxtrack::client::Scenario", "an object of names and regular expressions"),
                value);
            return std::nullopt;
        }
        QList<Capture> result;
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (it.key().startsWith(u'_'))
                continue;
            const QString capturePath = path + u'.' + it.key();
            if (!isCaptureName(it.key())) {
                fail(QCoreApplication::translate("voxtrack::client::Scenario",
                    "%1: the name is not usable as a placeholder: start with a letter and use only letters, "
                    "digits and \"_\".")
                         .arg(capturePath));
                return std::nullopt;
            }
            if (it.key() == sessionNumberName || it.key() == userIdName || it.key() == uuidName) {
                fail(QCoreApplication::translate("voxtrack::client::Scenario",
                    "%1: the name is reserved for the placeholder {%2}: choose another name.")
                         .arg(capturePath, it.key()));
                return std::nullopt;
            }
            const auto pattern = string(it.value(), capturePath, true, true);
            if (!pattern)
                return std::nullopt;
            auto compiled = regex(*pattern, capturePath);
            if (!compiled)
                return std::nullopt;
            const int group = compiled->captureCount() > 0 ? 1 : 0;
            result << Capture {it.key(), std::move(*compiled), group};
        }
        return result;
    }

    /// The defaults of spoken turns, read before the turns.
    AudioSettings audio;

    /// A voice name that espeak-ng knows, at path.
    std::optional<QString> voiceName(const QJsonValue& value, const QString& path)
    {
        const auto name = string(value, path, true, true);
        if (!name)
            return std::nullopt;
        const Status status = speech::checkVoice({*name, speech::defaultRate});
        if (status.code == u"speech.voice") {
            fail(QCoreApplication::translate("voxtrack::client::Scenario",
                "%1: espeak-ng has no voice \"%2\": use one such as en-us, en-gb or de (espeak-ng --voices lists "
                "them all).")
                     .arg(path, *name));
            return std::nullopt;
        }
        if (!status.isNull()) {
            fail(path + QStringLiteral(": ") + status.message);
            return std::nullopt;
        }
        return name;
    }

    std::optional<int> speechRate(const QJsonValue& value, const QString& path, int absent)
    {
        return whole(value, path, speech::minRate, speech::maxRate, absent,
            QCoreApplication::translate(
                "voxtrack::client::Scenario", "a whole number of words per minute from %1 to %2"));
    }

    /// "voice": absent or false (text), true (spoken with the defaults) or {"name", "rate"}.
    bool spokenTurn(const QJsonValue& value, const QString& path, Turn& turn)
    {
        turn.speaker = audio.voice;
        if (isAbsent(value) || value.isBool()) {
            turn.voice = value.toBool(false);
            return true;
        }
        if (!value.isObject()) {
            failType(path,
                QCoreApplication::translate(
                    "voxtrack::client::Scenario", "true, false or an object with \"name\" and \"rate\""),
                value);
            return false;
        }
        const QJsonObject object = value.toObject();
        if (!checkKeys(object, path, {QStringLiteral("name"), QStringLiteral("rate")}))
            return false;
        const QJsonValue name = object.value(QStringLiteral("name"));
        if (!isAbsent(name)) {
            const auto parsed = voiceName(name, path + QStringLiteral(".name"));
            if (!parsed)
                return false;
            turn.speaker.name = *parsed;
        }
        const auto rate
            = speechRate(object.value(QStringLiteral("rate")), path + QStringLiteral(".rate"), audio.voice.rate);
        if (!rate)
            return false;
        turn.speaker.rate = *rate;
        turn.voice = true;
        return true;
    }

    /// The scenario's "audio": {"pacing", "voice", "rate"}.
    bool audioSettings(const QJsonValue& value)
    {
        const QString path = QStringLiteral("audio");
        const auto object = jsonObject(value, path);
        if (!object
            || !checkKeys(*object, path, {QStringLiteral("pacing"), QStringLiteral("voice"), QStringLiteral("rate")}))
            return false;
        const QJsonValue pacing = object->value(QStringLiteral("pacing"));
        if (!isAbsent(pacing)) {
            if (pacing == QJsonValue(QStringLiteral("realtime"))) {
                audio.pacing = Pacing::RealTime;
            } else if (pacing == QJsonValue(QStringLiteral("fast"))) {
                audio.pacing = Pacing::Fast;
            } else {
                failType(path + QStringLiteral(".pacing"),
                    QCoreApplication::translate("voxtrack::client::Scenario", "\"realtime\" or \"fast\""), pacing);
                return false;
            }
        }
        const QJsonValue voice = object->value(QStringLiteral("voice"));
        if (!isAbsent(voice)) {
            const auto name = voiceName(voice, path + QStringLiteral(".voice"));
            if (!name)
                return false;
            audio.voice.name = *name;
        }
        const auto rate
            = speechRate(object->value(QStringLiteral("rate")), path + QStringLiteral(".rate"), speech::defaultRate);
        if (!rate)
            return false;
        audio.voice.rate = *rate;
        return true;
    }

    std::optional<Turn> turn(
        const QJsonValue& value, const QString& path, const QSet<QString>& captured, const QSet<QString>& capturedLater)
    {
        if (!value.isObject()) {
            failType(path, QCoreApplication::translate("voxtrack::client::Scenario", "an object with \"say\""), value);
            return std::nullopt;
        }
        const QJsonObject object = value.toObject();
        if (!checkKeys(object, path,
                {QStringLiteral("say"), QStringLiteral("voice"), QStringLiteral("role"), QStringLiteral("think_ms"),
                    QStringLiteral("expect"), QStringLiteral("capture"), QStringLiteral("metadata"),
                    QStringLiteral("repeat")}))
            return std::nullopt;
        Turn result;
        const QString sayPath = path + QStringLiteral(".say");
        const auto say = string(object.value(QStringLiteral("say")), sayPath, true, true);
        if (!say)
            return std::nullopt;
        const auto known = [&](const QString& name) {
            return name == sessionNumberName || name == userIdName || captured.contains(name);
        };
        const QString advice = captured.isEmpty()
            ? QCoreApplication::translate("voxtrack::client::Scenario",
                "use {n} or {user_id}, capture the value in an earlier turn's \"capture\", and write {{ and }} "
                "for literal braces.")
            : QCoreApplication::translate("voxtrack::client::Scenario",
                "use {n}, {user_id} or a value captured by an earlier turn (%1), and write {{ and }} for "
                "literal braces.")
                  .arg(QStringList(captured.begin(), captured.end()).join(QStringLiteral(", ")));
        QString problem;
        for (const Piece& piece : split(*say, &problem).value_or(QList<Piece> {})) {
            if (piece.isPlaceholder && !known(piece.text) && capturedLater.contains(piece.text)) {
                fail(QCoreApplication::translate("voxtrack::client::Scenario",
                    "%1: the placeholder {%2} is captured only by this turn or a later one: capture it in an "
                    "earlier turn, since a value can be used only after the reply it comes from.")
                         .arg(sayPath, piece.text));
                return std::nullopt;
            }
        }
        if (!placeholders(*say, sayPath, known, advice))
            return std::nullopt;
        result.say = *say;

        if (!spokenTurn(object.value(QStringLiteral("voice")), path + QStringLiteral(".voice"), result))
            return std::nullopt;

        const QJsonValue role = object.value(QStringLiteral("role"));
        if (!isAbsent(role)) {
            const auto parsed = roleOf(role, path + QStringLiteral(".role"));
            if (!parsed)
                return std::nullopt;
            result.role = *parsed;
        }

        const auto thinkTime = think(object.value(QStringLiteral("think_ms")), path + QStringLiteral(".think_ms"));
        if (!thinkTime)
            return std::nullopt;
        result.think = *thinkTime;

        const QJsonValue expect = object.value(QStringLiteral("expect"));
        const QJsonValue capture = object.value(QStringLiteral("capture"));
        if (result.role != Role::User) {
            const bool hasExpect = !isAbsent(expect);
            if (hasExpect || !isAbsent(capture)) {
                fail(QCoreApplication::translate("voxtrack::client::Scenario",
                    "%1: only user turns get a reply, and this turn's role is \"%2\": remove it, or make the "
                    "turn a user turn.")
                         .arg(path + (hasExpect ? QStringLiteral(".expect") : QStringLiteral(".capture")),
                             roleName(result.role)));
                return std::nullopt;
            }
        }
        if (!isAbsent(expect)) {
            auto parsed = expectation(expect, path + QStringLiteral(".expect"));
            if (!parsed)
                return std::nullopt;
            result.expect = std::move(*parsed);
        }
        auto parsedCaptures = captures(capture, path + QStringLiteral(".capture"));
        if (!parsedCaptures)
            return std::nullopt;
        result.captures = std::move(*parsedCaptures);

        const auto metadata = jsonObject(object.value(QStringLiteral("metadata")), path + QStringLiteral(".metadata"));
        if (!metadata)
            return std::nullopt;
        result.metadata = *metadata;
        if (result.voice && result.role != Role::User) {
            fail(QCoreApplication::translate("voxtrack::client::Scenario",
                "%1: only user turns can be spoken, and this turn's role is \"%2\": remove \"voice\", or make "
                "the turn a user turn.")
                     .arg(path + QStringLiteral(".voice"), roleName(result.role)));
            return std::nullopt;
        }
        if (result.voice && !result.metadata.isEmpty()) {
            fail(QCoreApplication::translate("voxtrack::client::Scenario",
                "%1: a spoken turn carries no metadata (audio.end has none): remove \"metadata\" or "
                "\"voice\".")
                     .arg(path + QStringLiteral(".metadata")));
            return std::nullopt;
        }

        const auto repeat
            = whole(object.value(QStringLiteral("repeat")), path + QStringLiteral(".repeat"), 1, Scenario::maxRepeat, 1,
                QCoreApplication::translate("voxtrack::client::Scenario", "a whole number of times from %1 to %2"));
        if (!repeat)
            return std::nullopt;
        result.repeat = *repeat;
        return result;
    }

    bool thresholds(const QJsonValue& value, Thresholds& result)
    {
        const QString path = QStringLiteral("thresholds");
        if (isAbsent(value))
            return true;
        if (!value.isObject())
            return failType(
                path, QCoreApplication::translate("voxtrack::client::Scenario", "an object of limits"), value);
        const QJsonObject object = value.toObject();
        if (!checkKeys(object, path,
                {QStringLiteral("p95_reply_ms"), QStringLiteral("p99_reply_ms"), QStringLiteral("max_error_rate"),
                    QStringLiteral("min_persisted_ratio")}))
            return false;
        const QString milliseconds = QCoreApplication::translate(
            "voxtrack::client::Scenario", "a number of milliseconds above 0 and at most %1")
                                         .arg(Scenario::maxMs);
        const QString ratio = QCoreApplication::translate(
            "voxtrack::client::Scenario", "a number from 0 to 1 (a fraction: 0.01 is 1 %)");
        result.p95ReplyMs = number(object.value(QStringLiteral("p95_reply_ms")), path + QStringLiteral(".p95_reply_ms"),
            0, Scenario::maxMs, true, milliseconds);
        result.p99ReplyMs = number(object.value(QStringLiteral("p99_reply_ms")), path + QStringLiteral(".p99_reply_ms"),
            0, Scenario::maxMs, true, milliseconds);
        result.maxErrorRate = number(object.value(QStringLiteral("max_error_rate")),
            path + QStringLiteral(".max_error_rate"), 0, 1, false, ratio);
        result.minPersistedRatio = number(object.value(QStringLiteral("min_persisted_ratio")),
            path + QStringLiteral(".min_persisted_ratio"), 0, 1, false, ratio);
        if (!error.isNull())
            return false;
        if (result.p95ReplyMs && result.p99ReplyMs && *result.p99ReplyMs < *result.p95ReplyMs) {
            return fail(QCoreApplication::translate("voxtrack::client::Scenario",
                "%1.p99_reply_ms: the limit %2 is below p95_reply_ms (%3), so the two look swapped: make "
                "p99_reply_ms at least p95_reply_ms.")
                            .arg(path)
                            .arg(*result.p99ReplyMs)
                            .arg(*result.p95ReplyMs));
        }
        return true;
    }

    bool arrival(const QJsonValue& value, Scenario& result)
    {
        const QString path = QStringLiteral("arrival");
        if (isAbsent(value))
            return true;
        if (!value.isObject())
            return failType(path,
                QCoreApplication::translate("voxtrack::client::Scenario", "an object with \"per_second\""), value);
        const QJsonObject object = value.toObject();
        if (!checkKeys(object, path, {QStringLiteral("per_second"), QStringLiteral("ramp_seconds")}))
            return false;
        const QJsonValue perSecond = object.value(QStringLiteral("per_second"));
        const QString rate = QCoreApplication::translate(
            "voxtrack::client::Scenario", "a number of sessions per second above 0 and at most %1")
                                 .arg(QString::number(Scenario::maxArrivalPerSecond));
        if (isAbsent(perSecond))
            return failMissing(path + QStringLiteral(".per_second"), rate);
        const auto parsed
            = number(perSecond, path + QStringLiteral(".per_second"), 0, Scenario::maxArrivalPerSecond, true, rate);
        if (!parsed)
            return false;
        result.arrivalPerSecond = *parsed;
        const auto ramp = whole(object.value(QStringLiteral("ramp_seconds")), path + QStringLiteral(".ramp_seconds"), 0,
            Scenario::maxRampSeconds, 0,
            QCoreApplication::translate("voxtrack::client::Scenario", "a whole number of seconds from %1 to %2"));
        if (!ramp)
            return false;
        result.rampSeconds = *ramp;
        return true;
    }
};

} // namespace

Expected<Scenario> Scenario::fromJson(QByteArrayView json)
{
    Reader reader;
    const auto parsed = reader.parseObject(json,
        QCoreApplication::translate(
            "voxtrack::client::Scenario", "The scenario is not valid JSON (%1 at byte %2): fix the file there."),
        QCoreApplication::translate("voxtrack::client::Scenario",
            "The scenario is an array, not a JSON object: write one object with \"version\" and \"turns\"."));
    if (!parsed)
        return reader.error;
    const QJsonObject& root = *parsed;
    Scenario result;

    const QStringList keys {QStringLiteral("version"), QStringLiteral("name"), QStringLiteral("description"),
        QStringLiteral("sessions"), QStringLiteral("concurrency"), QStringLiteral("arrival"),
        QStringLiteral("time_cap_seconds"), QStringLiteral("user_id"), QStringLiteral("session_metadata"),
        QStringLiteral("audio"), QStringLiteral("turns"), QStringLiteral("thresholds")};
    if (!reader.checkKeys(root, QString(), keys))
        return reader.error;

    if (!reader.versionOne(root,
            QCoreApplication::translate("voxtrack::client::Scenario",
                "version: the version %1 is not supported: write a scenario of version 1, as "
                "docs/scenarios.md describes.")))
        return reader.error;

    const auto name = reader.string(root.value(QStringLiteral("name")), QStringLiteral("name"), false, false);
    if (!name)
        return reader.error;
    result.name = *name;
    const auto description
        = reader.string(root.value(QStringLiteral("description")), QStringLiteral("description"), false, false);
    if (!description)
        return reader.error;
    result.description = *description;

    const auto sessions
        = reader.whole(root.value(QStringLiteral("sessions")), QStringLiteral("sessions"), 1, maxSessions, 1,
            QCoreApplication::translate("voxtrack::client::Scenario", "a whole number of sessions from %1 to %2"));
    if (!sessions)
        return reader.error;
    result.sessions = *sessions;

    const QJsonValue concurrencyValue = root.value(QStringLiteral("concurrency"));
    const auto concurrency = reader.whole(concurrencyValue, QStringLiteral("concurrency"), 1, maxConcurrency, 1,
        QCoreApplication::translate("voxtrack::client::Scenario", "a whole number of sessions from %1 to %2"));
    if (!concurrency)
        return reader.error;
    if (*concurrency > result.sessions) {
        reader.fail(QCoreApplication::translate("voxtrack::client::Scenario",
            "concurrency: %1 sessions at once is more than the %2 sessions of the run: lower "
            "\"concurrency\" or raise \"sessions\".")
                        .arg(*concurrency)
                        .arg(result.sessions));
        return reader.error;
    }
    result.concurrency = *concurrency;

    if (!reader.arrival(root.value(QStringLiteral("arrival")), result))
        return reader.error;

    const auto timeCap = reader.whole(root.value(QStringLiteral("time_cap_seconds")),
        QStringLiteral("time_cap_seconds"), 0, maxTimeCapSeconds, 0,
        QCoreApplication::translate("voxtrack::client::Scenario", "a whole number of seconds from %1 to %2"));
    if (!timeCap)
        return reader.error;
    result.timeCapSeconds = *timeCap;

    const QJsonValue userIdValue = root.value(QStringLiteral("user_id"));
    if (!isAbsent(userIdValue)) {
        const auto pattern = reader.string(userIdValue, QStringLiteral("user_id"), true, true);
        if (!pattern)
            return reader.error;
        if (!reader.placeholders(
                *pattern, QStringLiteral("user_id"),
                [](const QString& placeholder) { return placeholder == sessionNumberName || placeholder == uuidName; },
                QCoreApplication::translate("voxtrack::client::Scenario",
                    "use {n} for the session number or {uuid} for a random UUID, and {{ and }} for literal braces.")))
            return reader.error;
        result.userIdPattern = *pattern;
    }

    const auto metadata
        = reader.jsonObject(root.value(QStringLiteral("session_metadata")), QStringLiteral("session_metadata"));
    if (!metadata || !reader.metadataPlaceholders(*metadata, QStringLiteral("session_metadata")))
        return reader.error;
    result.sessionMetadata = *metadata;

    if (!reader.audioSettings(root.value(QStringLiteral("audio"))))
        return reader.error;
    result.audio = reader.audio;

    const QJsonValue turns = root.value(QStringLiteral("turns"));
    const QString turnsExpectation
        = QCoreApplication::translate("voxtrack::client::Scenario", "an array of at least one turn");
    if (isAbsent(turns)) {
        reader.failMissing(QStringLiteral("turns"), turnsExpectation);
        return reader.error;
    }
    if (!turns.isArray()) {
        reader.failType(QStringLiteral("turns"), turnsExpectation, turns);
        return reader.error;
    }
    const QJsonArray turnArray = turns.toArray();
    if (turnArray.isEmpty()) {
        reader.fail(QCoreApplication::translate(
            "voxtrack::client::Scenario", "turns: the array is empty: add at least one turn with \"say\"."));
        return reader.error;
    }
    if (turnArray.size() > maxTurns) {
        reader.fail(QCoreApplication::translate(
            "voxtrack::client::Scenario", "turns: %1 turns are more than %2: split the conversation or use \"repeat\".")
                        .arg(turnArray.size())
                        .arg(maxTurns));
        return reader.error;
    }
    // Names captured anywhere, so that a value used too early is told apart from a typo.
    QSet<QString> capturedAnywhere;
    for (const QJsonValue& turnValue : turnArray) {
        const QJsonObject capture = turnValue.toObject().value(QStringLiteral("capture")).toObject();
        for (auto it = capture.begin(); it != capture.end(); ++it) {
            if (!it.key().startsWith(u'_'))
                capturedAnywhere.insert(it.key());
        }
    }
    QSet<QString> captured;
    for (qsizetype i = 0; i < turnArray.size(); ++i) {
        auto turn = reader.turn(turnArray.at(i), QStringLiteral("turns[%1]").arg(i), captured, capturedAnywhere);
        if (!turn)
            return reader.error;
        for (const Capture& capture : std::as_const(turn->captures))
            captured.insert(capture.name);
        result.turns << std::move(*turn);
    }

    if (!reader.thresholds(root.value(QStringLiteral("thresholds")), result.thresholds))
        return reader.error;
    return result;
}

Expected<Scenario> Scenario::load(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error {QStringLiteral("scenario.open"),
            QCoreApplication::translate("voxtrack::client::Scenario",
                "The scenario file %1 cannot be read (%2): check the path and its permissions.")
                .arg(path, file.errorString())};
    }
    auto scenario = fromJson(file.readAll());
    if (!scenario)
        return Error {scenario.error().code, path + QStringLiteral(": ") + scenario.error().message};
    if (scenario->name.isEmpty())
        scenario->name = QFileInfo(path).completeBaseName();
    return scenario;
}

QString Scenario::userIdFor(int n) const
{
    QString result;
    for (const Piece& piece : split(userIdPattern, nullptr).value_or(QList<Piece> {})) {
        if (!piece.isPlaceholder)
            result += piece.text;
        else if (piece.text == uuidName)
            result += QUuid::createUuid().toString(QUuid::WithoutBraces);
        else
            result += QString::number(n);
    }
    return result;
}

QJsonObject Scenario::metadataFor(int n) const
{
    return fillNumber(sessionMetadata, n).toObject();
}

QString Scenario::substitute(const QString& text, const QHash<QString, QString>& captured, int n, const QString& userId)
{
    QString result;
    for (const Piece& piece : split(text, nullptr).value_or(QList<Piece> {})) {
        if (!piece.isPlaceholder)
            result += piece.text;
        else if (piece.text == sessionNumberName)
            result += QString::number(n);
        else if (piece.text == userIdName)
            result += userId;
        else
            result += captured.value(piece.text);
    }
    return result;
}

int Scenario::messagesPerSession() const
{
    int total = 0;
    for (const Turn& turn : turns)
        total += turn.repeat;
    return total;
}

bool Scenario::hasVoice() const
{
    return std::any_of(turns.cbegin(), turns.cend(), [](const Turn& turn) { return turn.voice; });
}

} // namespace voxtrack::client
