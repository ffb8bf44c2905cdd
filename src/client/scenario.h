// SPDX-License-Identifier: MIT
#pragma once

#include "speech/synthesizer.h"

#include "client/voiceclient.h"
#include "core/error.h"
#include "core/role.h"

#include <QByteArrayView>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QRegularExpression>
#include <QString>

#include <optional>

namespace voxtrack::client {

/// The pause before a turn is said, drawn uniformly from [minMs, maxMs]; fixed when equal.
struct ThinkTime {
    int minMs = 0;
    int maxMs = 0;

    [[nodiscard]] bool isFixed() const { return minMs == maxMs; }
    friend bool operator==(const ThinkTime&, const ThinkTime&) = default;
};

/// What the reply to a user turn must look like. Every part given must hold.
struct Expectation {
    Role role = Role::Agent; ///< the role of the reply
    QString contains; ///< empty: not checked; else a case-insensitive substring of the reply
    QRegularExpression regex; ///< empty pattern: not checked; else searched, case-insensitive
    int withinMs = 0; ///< 0: no limit of its own; else the reply must arrive within this
};

/// A value taken from the reply to a turn, for {name} placeholders in later turns.
struct Capture {
    QString name;
    QRegularExpression regex; ///< case-insensitive, compiled at load
    int group = 1; ///< 1 when the pattern has groups, 0 (the whole match) when it has none
};

/// One message of the synthetic conversation.
struct Turn {
    QString say; ///< the text, with placeholders still in it (see Scenario::substitute())
    bool voice = false; ///< spoken: synthesized with speaker and sent as audio (VoiceClient::speak())
    speech::Voice speaker; ///< the voice and rate of a spoken turn (the scenario's "audio" defaults filled in)
    Role role = Role::User;
    ThinkTime think;
    std::optional<Expectation> expect; ///< only on user turns
    QList<Capture> captures; ///< only on user turns
    QJsonObject metadata; ///< sent with the message
    int repeat = 1; ///< said this many times in a row
};

/// Limits on the run's results that decide the exit code; absent ones are not checked.
struct Thresholds {
    std::optional<double> p95ReplyMs;
    std::optional<double> p99ReplyMs;
    std::optional<double> maxErrorRate; ///< 0..1
    std::optional<double> minPersistedRatio; ///< 0..1

    [[nodiscard]] bool isEmpty() const { return !p95ReplyMs && !p99ReplyMs && !maxErrorRate && !minPersistedRatio; }
};

/// How the spoken turns of a scenario sound and are sent ("audio" of the scenario).
struct AudioSettings {
    Pacing pacing = Pacing::RealTime;
    speech::Voice voice; ///< the default of turns that say "voice": true
};

/// A scenario file of `voxtrack-cli drive` (docs/scenarios.md): plain data and its reader.
/// Everything that can be wrong in a file is found by fromJson()/load(), placeholders
/// included, so that a run never meets a broken scenario halfway.
struct Scenario {
    static constexpr int maxSessions = 1000000;
    static constexpr int maxConcurrency = 100000;
    static constexpr double maxArrivalPerSecond = 10000;
    static constexpr int maxRampSeconds = 3600;
    static constexpr int maxTimeCapSeconds = 86400;
    static constexpr int maxTurns = 1000;
    static constexpr int maxRepeat = 1000;
    static constexpr int maxMs = 600000; ///< think times, within_ms and reply thresholds

    QString name; ///< load(): the file's base name when the file gives none
    QString description;
    int sessions = 1; ///< the total number of sessions
    int concurrency = 1; ///< at most this many at once; never more than sessions
    double arrivalPerSecond = 0; ///< 0: as fast as concurrency allows
    int rampSeconds = 0; ///< the arrival rate ramps from 0 to arrivalPerSecond over this
    int timeCapSeconds = 0; ///< 0: none; else no session starts after it and the run ends at it
    QString userIdPattern = QStringLiteral("user-{n}"); ///< {n}: session number from 1; {uuid}
    QJsonObject sessionMetadata; ///< string values may use {n}
    AudioSettings audio;
    QList<Turn> turns; ///< at least one
    Thresholds thresholds;

    /// The user id of session n (from 1): the pattern with {n} and {uuid} filled in.
    [[nodiscard]] QString userIdFor(int n) const;
    /// The session metadata of session n, with {n} filled in in every string value.
    [[nodiscard]] QJsonObject metadataFor(int n) const;
    /// The text of a turn with its placeholders filled in: {n}, {user_id} and the captured
    /// values; {{ and }} are literal braces. A capture that matched nothing is empty. load()
    /// has checked every placeholder, so this cannot fail.
    [[nodiscard]] static QString substitute(
        const QString& text, const QHash<QString, QString>& captured, int n, const QString& userId);

    /// The total number of messages one session says, repeats counted.
    [[nodiscard]] int messagesPerSession() const;
    /// True when any turn is spoken.
    [[nodiscard]] bool hasVoice() const;

    /// Reads a scenario already in memory. Errors have code "scenario.invalid" and sentences
    /// that start with the JSON path of the mistake ("turns[2].expect.within_ms: …").
    [[nodiscard]] static Expected<Scenario> fromJson(QByteArrayView json);
    /// Reads a scenario file: "scenario.open" when it cannot be read, "scenario.invalid" with
    /// the file name before the JSON path for anything wrong in it.
    [[nodiscard]] static Expected<Scenario> load(const QString& path);
};

} // namespace voxtrack::client
