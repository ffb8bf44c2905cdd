// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QByteArrayView>
#include <QString>

#include <memory>
#include <optional>

namespace voxtrack::server {

/// One user message for the agent to answer.
struct AgentTurn {
    QString sessionId;
    QString userId;
    QString text;
    QString replyTo; ///< the client frame id of the message
};

/// What the agent says back, and how long after the message it says it.
struct AgentReply {
    QString content; ///< never empty
    QString audioUrl; ///< empty: no spoken reply
    int delayMs = 0; ///< simulated thinking time before the reply is sent
};

/// Pluggable: the server asks for a reply to each user message; a real backend can replace it.
/// Implementations must be thread-safe: the server calls them from several worker threads at
/// once, so both functions are const and may not touch shared mutable state.
class Agent {
public:
    virtual ~Agent();

    /// The system message written as a session's first message when it opens; empty: none.
    [[nodiscard]] virtual QString systemPrompt() const = 0;
    /// The reply to a user message, or std::nullopt for none.
    [[nodiscard]] virtual std::optional<AgentReply> reply(const AgentTurn& turn) const = 0;

protected:
    Agent() = default;
    Agent(const Agent&) = default;
    Agent& operator=(const Agent&) = default;
};

/// The simulated agent of voxtrackd: scripted replies from a rules file (docs/agent-rules.md).
/// The first rule whose keyword or regular expression matches the message answers it with its
/// template; when none does, the fallback answers, or nobody. Everything that can be wrong in a
/// file is found by load(), so reply() cannot fail. Immutable once loaded, hence thread-safe.
class RulesAgent final : public Agent {
public:
    /// The resource path of the built-in rules.
    static constexpr QLatin1StringView defaultRulesPath {":/voxtrack/agent/default-rules.json"};
    /// The longest reply delay a file may ask for, in milliseconds.
    static constexpr int maxDelayMs = 60000;

    /// Reads a rules file. Errors: "rules.open" when it cannot be read, "rules.invalid" for
    /// anything wrong in it, with the JSON path of the mistake ("rules[2].match: …").
    [[nodiscard]] static Expected<std::unique_ptr<RulesAgent>> load(const QString& path);
    /// The same for rules already in memory; sentences start with the JSON path.
    [[nodiscard]] static Expected<std::unique_ptr<RulesAgent>> fromJson(QByteArrayView json);
    /// The built-in market-data rules (resources/agent/default-rules.json, embedded). They are
    /// checked by the tests, so this cannot fail in a correct build (it aborts in a broken one).
    [[nodiscard]] static std::unique_ptr<RulesAgent> defaultRules();

    ~RulesAgent() override;

    [[nodiscard]] QString systemPrompt() const override;
    [[nodiscard]] std::optional<AgentReply> reply(const AgentTurn& turn) const override;

    /// The number of rules, fallback not counted.
    [[nodiscard]] int ruleCount() const;
    /// Whether a fallback answers messages no rule matches.
    [[nodiscard]] bool hasFallback() const;

private:
    struct Data;
    explicit RulesAgent(std::unique_ptr<const Data> data);

    std::unique_ptr<const Data> m_data;
};

/// Never replies and writes no system message: for an external agent that relays its replies
/// through the connection with role "agent".
class SilentAgent final : public Agent {
public:
    [[nodiscard]] QString systemPrompt() const override { return {}; }
    [[nodiscard]] std::optional<AgentReply> reply(const AgentTurn&) const override { return std::nullopt; }
};

} // namespace voxtrack::server
