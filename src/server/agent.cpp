// SPDX-License-Identifier: MIT
#include "server/agent.h"

#include "core/jsontext.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>
#include <QList>
#include <QRegularExpression>
#include <QRegularExpressionMatch>
#include <QStringList>

#include <cmath>
#include <utility>

namespace voxtrack::server {

Agent::~Agent() = default;

namespace {

/// The number of the highest capture-group placeholder, {9}.
constexpr int maxGroup = 9;

/// One piece of a reply template, split at load so that a reply only concatenates.
struct Segment {
    enum Kind { Literal, Text, UserId, SessionId, Group };
    Kind kind = Literal;
    QString literal; ///< for Literal
    int group = 0; ///< for Group: 1..9
};

using Template = QList<Segment>;

struct Rule {
    bool isRegex = false;
    QString keyword; ///< when !isRegex: matched as a case-insensitive substring
    QRegularExpression regex; ///< when isRegex: compiled at load, case-insensitive
    Template reply;
    int delayMs = 0;
};

struct Fallback {
    Template reply;
    int delayMs = 0;
};

QString expand(const Template& replyTemplate, const AgentTurn& turn, const QRegularExpressionMatch* match)
{
    QString result;
    for (const Segment& segment : replyTemplate) {
        switch (segment.kind) {
        case Segment::Literal:
            result += segment.literal;
            break;
        case Segment::Text:
            result += turn.text;
            break;
        case Segment::UserId:
            result += turn.userId;
            break;
        case Segment::SessionId:
            result += turn.sessionId;
            break;
        case Segment::Group:
            if (match)
                result += match->captured(segment.group); // empty when the group did not take part
            break;
        }
    }
    return result;
}

using json::describeValue;
using json::isAbsent;

/// Reads a rules document into RulesAgent's data, stopping at the first mistake. Every error
/// sentence starts with the JSON path of the mistake.
struct Loader : json::DocumentReader {
    Loader()
        : DocumentReader(QStringLiteral("rules.invalid"))
    {
    }

    std::optional<int> delay(const QJsonValue& value, const QString& path, int absent)
    {
        if (isAbsent(value))
            return absent;
        const double number = value.toDouble(-1);
        if (!value.isDouble() || number != std::floor(number) || number < 0 || number > RulesAgent::maxDelayMs) {
            failType(path,
                QCoreApplication::translate(
                    "voxtrack::server::RulesAgent", "a whole number of milliseconds from 0 to %1")
                    .arg(RulesAgent::maxDelayMs),
                value);
            return std::nullopt;
        }
        return static_cast<int>(number);
    }

    std::optional<Template> replyTemplate(const QJsonValue& value, const QString& path)
    {
        const auto text = string(value, path, true, true);
        if (!text)
            return std::nullopt;
        Template result;
        QString literal;
        const auto flushLiteral = [&] {
            if (!literal.isEmpty())
                result << Segment {Segment::Literal, std::exchange(literal, QString()), 0};
        };
        const QString& source = *text;
        for (qsizetype i = 0; i < source.size(); ++i) {
            const QChar c = source[i];
            if (c == u'}') {
                if (i + 1 < source.size() && source[i + 1] == u'}') {
                    literal += u'}';
                    ++i;
                    continue;
                }
                fail(QCoreApplication::translate("voxtrack::server::RulesAgent",
                    "%1: the \"}\" at offset %2 closes no placeholder: write }} for a literal brace.")
                         .arg(path)
                         .arg(i));
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
                fail(QCoreApplication::translate("voxtrack::server::RulesAgent",
                    "%1: the \"{\" at offset %2 is not closed: end the placeholder with \"}\", or write {{ for "
                    "a literal brace.")
                         .arg(path)
                         .arg(i));
                return std::nullopt;
            }
            const QString name = source.sliced(i + 1, close - i - 1);
            Segment segment;
            if (name == QStringLiteral("text")) {
                segment.kind = Segment::Text;
            } else if (name == QStringLiteral("user_id")) {
                segment.kind = Segment::UserId;
            } else if (name == QStringLiteral("session_id")) {
                segment.kind = Segment::SessionId;
            } else if (name.size() == 1 && name[0] >= u'1' && name[0] <= QChar(u'0' + maxGroup)) {
                segment.kind = Segment::Group;
                segment.group = name[0].unicode() - u'0';
            } else {
                fail(QCoreApplication::translate("voxtrack::server::RulesAgent",
                    "%1: the placeholder {%2} is not known: use {text}, {user_id}, {session_id} or {1} to {9}, "
                    "and {{ and }} for literal braces.")
                         .arg(path, name));
                return std::nullopt;
            }
            flushLiteral();
            result << segment;
            i = close;
        }
        flushLiteral();
        return result;
    }

    std::optional<Rule> rule(const QJsonValue& value, const QString& path, int defaultDelayMs)
    {
        if (!value.isObject()) {
            failType(path,
                QCoreApplication::translate("voxtrack::server::RulesAgent", "an object with \"match\" and \"reply\""),
                value);
            return std::nullopt;
        }
        const QJsonObject object = value.toObject();
        const QStringList keys {QStringLiteral("name"), QStringLiteral("match"), QStringLiteral("regex"),
            QStringLiteral("reply"), QStringLiteral("delay_ms")};
        if (!checkKeys(object, path, keys))
            return std::nullopt;

        Rule result;
        // The name only documents the rule, but a mistyped one is still a mistake.
        if (!string(object.value(QStringLiteral("name")), path + QStringLiteral(".name"), false, false))
            return std::nullopt;

        const QJsonValue regex = object.value(QStringLiteral("regex"));
        if (!isAbsent(regex) && !regex.isBool()) {
            failType(path + QStringLiteral(".regex"),
                QCoreApplication::translate("voxtrack::server::RulesAgent", "true or false"), regex);
            return std::nullopt;
        }
        result.isRegex = regex.toBool(false);

        const QString matchPath = path + QStringLiteral(".match");
        const auto match = string(object.value(QStringLiteral("match")), matchPath, true, true);
        if (!match)
            return std::nullopt;
        if (result.isRegex) {
            result.regex = QRegularExpression(
                *match, QRegularExpression::CaseInsensitiveOption | QRegularExpression::UseUnicodePropertiesOption);
            // isValid() compiles the pattern now, so that reply() only ever matches.
            if (!result.regex.isValid()) {
                fail(QCoreApplication::translate("voxtrack::server::RulesAgent",
                    "%1: the regular expression is invalid (%2 at offset %3): fix the pattern.")
                         .arg(matchPath, result.regex.errorString())
                         .arg(result.regex.patternErrorOffset()));
                return std::nullopt;
            }
        } else {
            result.keyword = *match;
        }

        auto reply = replyTemplate(object.value(QStringLiteral("reply")), path + QStringLiteral(".reply"));
        if (!reply)
            return std::nullopt;
        result.reply = std::move(*reply);

        const auto delayMs
            = delay(object.value(QStringLiteral("delay_ms")), path + QStringLiteral(".delay_ms"), defaultDelayMs);
        if (!delayMs)
            return std::nullopt;
        result.delayMs = *delayMs;
        return result;
    }
};

} // namespace

struct RulesAgent::Data {
    QString systemPrompt;
    QList<Rule> rules;
    std::optional<Fallback> fallback;
};

RulesAgent::RulesAgent(std::unique_ptr<const Data> data)
    : m_data(std::move(data))
{
}

RulesAgent::~RulesAgent() = default;

Expected<std::unique_ptr<RulesAgent>> RulesAgent::fromJson(QByteArrayView json)
{
    Loader loader;
    const auto parsed = loader.parseObject(json,
        QCoreApplication::translate(
            "voxtrack::server::RulesAgent", "The rules are not valid JSON (%1 at byte %2): fix the file there."),
        QCoreApplication::translate("voxtrack::server::RulesAgent",
            "The rules are an array, not a JSON object: write one object with \"version\" and \"rules\"."));
    if (!parsed)
        return loader.error;
    const QJsonObject& root = *parsed;
    auto data = std::make_unique<Data>();

    const QStringList keys {QStringLiteral("version"), QStringLiteral("system"), QStringLiteral("default_delay_ms"),
        QStringLiteral("rules"), QStringLiteral("fallback")};
    if (!loader.checkKeys(root, QString(), keys))
        return loader.error;

    if (!loader.versionOne(root,
            QCoreApplication::translate("voxtrack::server::RulesAgent",
                "version: the version %1 is not supported: write rules of version 1, as docs/agent-rules.md "
                "describes.")))
        return loader.error;

    const auto system = loader.string(root.value(QStringLiteral("system")), QStringLiteral("system"), false, false);
    if (!system)
        return loader.error;
    data->systemPrompt = *system;

    const auto defaultDelayMs
        = loader.delay(root.value(QStringLiteral("default_delay_ms")), QStringLiteral("default_delay_ms"), 0);
    if (!defaultDelayMs)
        return loader.error;

    const QJsonValue rules = root.value(QStringLiteral("rules"));
    if (isAbsent(rules)) {
        loader.failMissing(QStringLiteral("rules"),
            QCoreApplication::translate("voxtrack::server::RulesAgent", "an array of rules (it may be empty)"));
        return loader.error;
    }
    if (!rules.isArray()) {
        loader.failType(QStringLiteral("rules"),
            QCoreApplication::translate("voxtrack::server::RulesAgent", "an array of rules"), rules);
        return loader.error;
    }
    const QJsonArray ruleArray = rules.toArray();
    for (qsizetype i = 0; i < ruleArray.size(); ++i) {
        auto rule = loader.rule(ruleArray.at(i), QStringLiteral("rules[%1]").arg(i), *defaultDelayMs);
        if (!rule)
            return loader.error;
        data->rules << std::move(*rule);
    }

    const QJsonValue fallback = root.value(QStringLiteral("fallback"));
    if (!isAbsent(fallback)) {
        const QString path = QStringLiteral("fallback");
        if (!fallback.isObject()) {
            loader.failType(path,
                QCoreApplication::translate("voxtrack::server::RulesAgent", "an object with \"reply\""), fallback);
            return loader.error;
        }
        const QJsonObject object = fallback.toObject();
        if (!loader.checkKeys(object, path, {QStringLiteral("reply"), QStringLiteral("delay_ms")}))
            return loader.error;
        auto reply = loader.replyTemplate(object.value(QStringLiteral("reply")), path + QStringLiteral(".reply"));
        if (!reply)
            return loader.error;
        const auto delayMs = loader.delay(
            object.value(QStringLiteral("delay_ms")), path + QStringLiteral(".delay_ms"), *defaultDelayMs);
        if (!delayMs)
            return loader.error;
        data->fallback = Fallback {std::move(*reply), *delayMs};
    }

    return std::unique_ptr<RulesAgent>(new RulesAgent(std::move(data)));
}

Expected<std::unique_ptr<RulesAgent>> RulesAgent::load(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error {QStringLiteral("rules.open"),
            QCoreApplication::translate("voxtrack::server::RulesAgent",
                "The rules file %1 cannot be read (%2): check the path and its permissions.")
                .arg(path, file.errorString())};
    }
    auto agent = fromJson(file.readAll());
    if (!agent)
        return Error {agent.error().code, path + QStringLiteral(": ") + agent.error().message};
    return agent;
}

std::unique_ptr<RulesAgent> RulesAgent::defaultRules()
{
    auto agent = load(QString(defaultRulesPath));
    if (!agent) // a build that did not embed or broke the default rules: tst_agent catches it
        qFatal("The built-in agent rules do not load: %s", qPrintable(agent.error().toString()));
    return std::move(agent).value();
}

QString RulesAgent::systemPrompt() const
{
    return m_data->systemPrompt;
}

std::optional<AgentReply> RulesAgent::reply(const AgentTurn& turn) const
{
    const auto answer = [&](const Template& replyTemplate, int delayMs,
                            const QRegularExpressionMatch* match) -> std::optional<AgentReply> {
        QString content = expand(replyTemplate, turn, match);
        if (content.trimmed().isEmpty()) // e.g. only a capture group that matched nothing
            return std::nullopt;
        return AgentReply {std::move(content), QString(), delayMs};
    };
    for (const Rule& rule : m_data->rules) {
        if (rule.isRegex) {
            const QRegularExpressionMatch match = rule.regex.match(turn.text);
            if (match.hasMatch())
                return answer(rule.reply, rule.delayMs, &match);
        } else if (turn.text.contains(rule.keyword, Qt::CaseInsensitive)) {
            return answer(rule.reply, rule.delayMs, nullptr);
        }
    }
    if (m_data->fallback)
        return answer(m_data->fallback->reply, m_data->fallback->delayMs, nullptr);
    return std::nullopt;
}

int RulesAgent::ruleCount() const
{
    return static_cast<int>(m_data->rules.size());
}

bool RulesAgent::hasFallback() const
{
    return m_data->fallback.has_value();
}

} // namespace voxtrack::server
