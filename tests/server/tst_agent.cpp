// SPDX-License-Identifier: MIT
#include "server/agent.h"

#include <QFile>
#include <QList>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>
#include <vector>

using namespace voxtrack;
using namespace voxtrack::server;

namespace {

/// JSON written with single quotes, which keeps the test data readable; none of it needs a
/// literal single quote.
QByteArray json(const char* text)
{
    return QByteArray(text).replace('\'', '"');
}

/// A version 1 document around a rules array (and optional extra top-level members).
QByteArray withRules(const char* rules, const char* extra = "")
{
    return json("{'version': 1, 'rules': ") + json(rules) + json(extra) + '}';
}

AgentTurn turn(const QString& text)
{
    return AgentTurn {QStringLiteral("session-1"), QStringLiteral("user-42"), text, QStringLiteral("m1")};
}

std::unique_ptr<RulesAgent> agentFrom(const QByteArray& document)
{
    auto agent = RulesAgent::fromJson(document);
    if (!agent) {
        qWarning().noquote() << agent.errorText();
        return {};
    }
    return std::move(agent).value();
}

QString contentOf(const Agent& agent, const QString& text)
{
    const auto reply = agent.reply(turn(text));
    return reply ? reply->content : QStringLiteral("<no reply>");
}

} // namespace

class TestAgent : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void defaultRulesAnswerTheSeedExample()
    {
        const auto agent = RulesAgent::defaultRules();
        QVERIFY(agent);
        const auto reply = agent->reply(turn(QStringLiteral("What's the price of Tesla?")));
        QVERIFY(reply.has_value());
        QCOMPARE(reply->content, QStringLiteral("The latest price for Tesla is $251.30."));
        QVERIFY(reply->audioUrl.isEmpty());
        QVERIFY(reply->delayMs > 0 && reply->delayMs <= 300);
        QCOMPARE(agent->systemPrompt(), QStringLiteral("You are a voice assistant for market data. Answer briefly."));
        QVERIFY(agent->hasFallback());
    }

    void defaultRules_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("startsWith");
        QTest::addRow("tesla lower case")
            << QStringLiteral("tesla price please") << QStringLiteral("The latest price for Tesla is $251.30.");
        QTest::addRow("ticker") << QStringLiteral("How is TSLA doing?") << QStringLiteral("The latest price for Tesla");
        QTest::addRow("apple") << QStringLiteral("What's the price of Apple?")
                               << QStringLiteral("The latest price for Apple is $");
        QTest::addRow("microsoft") << QStringLiteral("and Microsoft?")
                                   << QStringLiteral("The latest price for Microsoft is $");
        QTest::addRow("nvidia") << QStringLiteral("NVIDIA stock price")
                                << QStringLiteral("The latest price for Nvidia");
        QTest::addRow("google is alphabet")
            << QStringLiteral("price of google") << QStringLiteral("The latest price for Alphabet");
        QTest::addRow("unknown symbol") << QStringLiteral("What's the price of Bitcoin?")
                                        << QStringLiteral("Sorry, I have no price for Bitcoin.");
        QTest::addRow("greeting then question")
            << QStringLiteral("Hi! What's the price of Apple?") << QStringLiteral("The latest price for Apple");
        QTest::addRow("hello") << QStringLiteral("Hello there") << QStringLiteral("Hello!");
        QTest::addRow("hi") << QStringLiteral("hi") << QStringLiteral("Hello!");
        QTest::addRow("hi is a word") << QStringLiteral("this is a test") << QStringLiteral("Sorry, I can only");
        QTest::addRow("thanks") << QStringLiteral("Thank you!") << QStringLiteral("You're welcome");
        QTest::addRow("goodbye") << QStringLiteral("OK, bye") << QStringLiteral("Goodbye");
        QTest::addRow("help") << QStringLiteral("Help") << QStringLiteral("I tell you the latest stock prices");
        QTest::addRow("fallback") << QStringLiteral("What's the weather like?")
                                  << QStringLiteral(
                                         "Sorry, I can only answer questions about stock prices. Try: what's the "
                                         "price of Tesla?");
    }

    void defaultRules()
    {
        QFETCH(QString, text);
        QFETCH(QString, startsWith);
        static const auto agent = RulesAgent::defaultRules();
        const QString content = contentOf(*agent, text);
        QVERIFY2(content.startsWith(startsWith), qPrintable(content));
    }

    void defaultDelaysAreSmall()
    {
        const auto agent = RulesAgent::defaultRules();
        for (const char* text : {"hello", "price of Apple", "thanks", "what?"}) {
            const auto reply = agent->reply(turn(QString::fromLatin1(text)));
            QVERIFY(reply.has_value());
            QVERIFY2(reply->delayMs >= 100 && reply->delayMs <= 300, text);
        }
    }

    void keywordMatchesSubstringsInAnyCase()
    {
        const auto agent = agentFrom(withRules("[{'match': 'Price', 'reply': 'keyword'}]"));
        QVERIFY(agent);
        QCOMPARE(contentOf(*agent, QStringLiteral("PRICE?")), QStringLiteral("keyword"));
        QCOMPARE(contentOf(*agent, QStringLiteral("what are the prices")), QStringLiteral("keyword"));
        QCOMPARE(contentOf(*agent, QStringLiteral("pric e")), QStringLiteral("<no reply>"));
    }

    void keywordIsNotARegex()
    {
        const auto keyword = agentFrom(withRules("[{'match': 'a.c', 'reply': 'hit'}]"));
        QVERIFY(keyword);
        QCOMPARE(contentOf(*keyword, QStringLiteral("xA.Cx")), QStringLiteral("hit"));
        QCOMPARE(contentOf(*keyword, QStringLiteral("abc")), QStringLiteral("<no reply>"));

        const auto regex = agentFrom(withRules("[{'match': '^a.c$', 'regex': true, 'reply': 'hit'}]"));
        QVERIFY(regex);
        QCOMPARE(contentOf(*regex, QStringLiteral("ABC")), QStringLiteral("hit"));
        QCOMPARE(contentOf(*regex, QStringLiteral("xabc")), QStringLiteral("<no reply>"));
    }

    void templatesFillPlaceholders()
    {
        const auto agent = agentFrom(
            withRules("[{'match': 'my name is (\\\\w+)(?: (\\\\w+))?', 'regex': true,"
                      " 'reply': 'Hello {1} {2}|{9}| you said <{text}> as {user_id} in {session_id} {{braces}}'}]"));
        QVERIFY(agent);
        QCOMPARE(contentOf(*agent, QStringLiteral("My name is Ada Lovelace")),
            QStringLiteral("Hello Ada Lovelace|| you said <My name is Ada Lovelace> as user-42 in session-1 {braces}"));
        // A group that took no part is empty.
        QCOMPARE(contentOf(*agent, QStringLiteral("my name is Ada")),
            QStringLiteral("Hello Ada || you said <my name is Ada> as user-42 in session-1 {braces}"));
    }

    void capturesAreEmptyForKeywordsAndFallback()
    {
        const auto agent
            = agentFrom(withRules("[{'match': 'x', 'reply': 'k[{1}]'}]", ", 'fallback': {'reply': 'f[{1}] {text}'}"));
        QVERIFY(agent);
        QCOMPARE(contentOf(*agent, QStringLiteral("x")), QStringLiteral("k[]"));
        QCOMPARE(contentOf(*agent, QStringLiteral("y")), QStringLiteral("f[] y"));
    }

    void aReplyThatComesOutEmptyIsNone()
    {
        const auto agent = agentFrom(
            withRules("[{'match': '(a)?b', 'regex': true, 'reply': '{1}'}]", ", 'fallback': {'reply': 'fallback'}"));
        QVERIFY(agent);
        QCOMPARE(contentOf(*agent, QStringLiteral("ab")), QStringLiteral("a"));
        // The rule matched, so the fallback does not answer either.
        QCOMPARE(contentOf(*agent, QStringLiteral("b")), QStringLiteral("<no reply>"));
    }

    void firstMatchWins()
    {
        const auto agent = agentFrom(withRules("[{'name': 'specific', 'match': 'tesla price', 'reply': 'first'},"
                                               " {'name': 'broad', 'match': 'tesla', 'reply': 'second'},"
                                               " {'name': 'broader', 'match': '.', 'regex': true, 'reply': 'third'}]"));
        QVERIFY(agent);
        QCOMPARE(agent->ruleCount(), 3);
        QCOMPARE(contentOf(*agent, QStringLiteral("Tesla price")), QStringLiteral("first"));
        QCOMPARE(contentOf(*agent, QStringLiteral("Tesla")), QStringLiteral("second"));
        QCOMPARE(contentOf(*agent, QStringLiteral("Apple")), QStringLiteral("third"));
    }

    void fallbackAnswersTheRest()
    {
        const auto agent = agentFrom(
            withRules("[{'match': 'hello', 'reply': 'hi'}]", ", 'fallback': {'reply': 'no idea about {text}'}"));
        QVERIFY(agent);
        QVERIFY(agent->hasFallback());
        QCOMPARE(contentOf(*agent, QStringLiteral("hello")), QStringLiteral("hi"));
        QCOMPARE(contentOf(*agent, QStringLiteral("weather")), QStringLiteral("no idea about weather"));
    }

    void noFallbackNoReply()
    {
        const auto agent = agentFrom(withRules("[{'match': 'hello', 'reply': 'hi'}]"));
        QVERIFY(agent);
        QVERIFY(!agent->hasFallback());
        QVERIFY(!agent->reply(turn(QStringLiteral("weather"))).has_value());
        QVERIFY(agent->systemPrompt().isEmpty());

        const auto empty = agentFrom(withRules("[]"));
        QVERIFY(empty);
        QCOMPARE(empty->ruleCount(), 0);
        QVERIFY(!empty->reply(turn(QStringLiteral("anything"))).has_value());
    }

    void delays()
    {
        const auto agent = agentFrom(withRules("[{'match': 'slow', 'reply': 's', 'delay_ms': 1500},"
                                               " {'match': 'default', 'reply': 'd'},"
                                               " {'match': 'instant', 'reply': 'i', 'delay_ms': 0}]",
            ", 'default_delay_ms': 120, 'fallback': {'reply': 'f'}, 'system': 'Be brief.'"));
        QVERIFY(agent);
        QCOMPARE(agent->reply(turn(QStringLiteral("slow")))->delayMs, 1500);
        QCOMPARE(agent->reply(turn(QStringLiteral("default")))->delayMs, 120);
        QCOMPARE(agent->reply(turn(QStringLiteral("instant")))->delayMs, 0);
        QCOMPARE(agent->reply(turn(QStringLiteral("other")))->delayMs, 120);
        QCOMPARE(agent->systemPrompt(), QStringLiteral("Be brief."));

        const auto fallbackDelay = agentFrom(withRules("[]", ", 'fallback': {'reply': 'f', 'delay_ms': 75}"));
        QVERIFY(fallbackDelay);
        QCOMPARE(fallbackDelay->reply(turn(QStringLiteral("x")))->delayMs, 75);

        const auto noDefault = agentFrom(withRules("[{'match': 'x', 'reply': 'y'}]"));
        QVERIFY(noDefault);
        QCOMPARE(noDefault->reply(turn(QStringLiteral("x")))->delayMs, 0);
    }

    void commentsAndNullsAreAllowed()
    {
        const auto agent = agentFrom(json("{'_comment': 'demo', 'version': 1, 'system': null, 'fallback': null,"
                                          " 'rules': [{'_why': 'greeting', 'match': 'hi', 'regex': null,"
                                          " 'reply': 'hello', 'delay_ms': null}]}"));
        QVERIFY(agent);
        QCOMPARE(contentOf(*agent, QStringLiteral("hi")), QStringLiteral("hello"));
        QVERIFY(!agent->hasFallback());
    }

    void loadErrors_data()
    {
        QTest::addColumn<QByteArray>("document");
        QTest::addColumn<QString>("mentions");

        QTest::addRow("bad JSON") << json("{'version': 1, 'rules': [}") << QStringLiteral("at byte 26");
        QTest::addRow("empty file") << QByteArray() << QStringLiteral("not valid JSON");
        QTest::addRow("not an object") << json("[{'match': 'x'}]") << QStringLiteral("not a JSON object");
        QTest::addRow("missing version") << json("{'rules': []}") << QStringLiteral("version: the key is missing");
        QTest::addRow("version 2") << json("{'version': 2, 'rules': []}") << QStringLiteral("version: the version 2");
        QTest::addRow("version a string")
            << json("{'version': '1', 'rules': []}") << QStringLiteral("version: the version \"1\"");
        QTest::addRow("missing rules") << json("{'version': 1}") << QStringLiteral("rules: the key is missing");
        QTest::addRow("rules an object") << json("{'version': 1, 'rules': {}}")
                                         << QStringLiteral("rules: expected an array of rules, not an object");
        QTest::addRow("rule not an object")
            << withRules("[{'match': 'x', 'reply': 'y'}, 'hello']")
            << QStringLiteral("rules[1]: expected an object with \"match\" and \"reply\", not \"hello\"");
        QTest::addRow("match missing") << withRules("[{'reply': 'y'}]")
                                       << QStringLiteral("rules[0].match: the key is missing");
        QTest::addRow("match empty") << withRules("[{'match': '', 'reply': 'y'}]")
                                     << QStringLiteral(
                                            "rules[0].match: expected a non-empty string, not an empty string");
        QTest::addRow("match a number") << withRules("[{'match': 42, 'reply': 'y'}]")
                                        << QStringLiteral("rules[0].match: expected a non-empty string, not 42");
        QTest::addRow("bad regex")
            << withRules("[{'match': 'a', 'reply': 'y'}, {'match': 'b', 'regex': true, 'reply': 'y'},"
                         " {'match': '(tesla|', 'regex': true, 'reply': 'y'}]")
            << QStringLiteral("rules[2].match: the regular expression is invalid (missing closing parenthesis at "
                              "offset 7): fix the pattern.");
        QTest::addRow("regex not a boolean") << withRules("[{'match': 'x', 'regex': 'yes', 'reply': 'y'}]")
                                             << QStringLiteral("rules[0].regex: expected true or false, not \"yes\"");
        QTest::addRow("reply missing") << withRules("[{'match': 'x'}]")
                                       << QStringLiteral("rules[0].reply: the key is missing");
        QTest::addRow("reply not a string")
            << withRules("[{'match': 'x', 'reply': ['a']}]")
            << QStringLiteral("rules[0].reply: expected a non-empty string, not an array");
        QTest::addRow("unknown placeholder") << withRules("[{'match': 'x', 'reply': 'Hi {name}!'}]")
                                             << QStringLiteral("rules[0].reply: the placeholder {name} is not known");
        QTest::addRow("placeholder {0}") << withRules("[{'match': 'x', 'reply': '{0}'}]")
                                         << QStringLiteral("rules[0].reply: the placeholder {0}");
        QTest::addRow("placeholder {10}")
            << withRules("[{'match': 'x', 'reply': '{10}'}]") << QStringLiteral("rules[0].reply: the placeholder {10}");
        QTest::addRow("unclosed brace") << withRules("[{'match': 'x', 'reply': 'Hi {text'}]")
                                        << QStringLiteral("rules[0].reply: the \"{\" at offset 3 is not closed");
        QTest::addRow("stray closing brace")
            << withRules("[{'match': 'x', 'reply': 'a}b'}]") << QStringLiteral("rules[0].reply: the \"}\" at offset 1");
        QTest::addRow("delay negative")
            << withRules("[{'match': 'x', 'reply': 'y', 'delay_ms': -5}]")
            << QStringLiteral("rules[0].delay_ms: expected a whole number of milliseconds from 0 to 60000, not -5");
        QTest::addRow("delay fractional") << withRules("[{'match': 'x', 'reply': 'y', 'delay_ms': 1.5}]")
                                          << QStringLiteral("rules[0].delay_ms: expected a whole number");
        QTest::addRow("delay a string") << withRules("[{'match': 'x', 'reply': 'y', 'delay_ms': '300'}]")
                                        << QStringLiteral("rules[0].delay_ms: expected a whole number");
        QTest::addRow("delay too long") << withRules("[{'match': 'x', 'reply': 'y', 'delay_ms': 60001}]")
                                        << QStringLiteral("rules[0].delay_ms: expected a whole number");
        QTest::addRow("default delay negative") << withRules("[]", ", 'default_delay_ms': -1")
                                                << QStringLiteral("default_delay_ms: expected a whole number");
        QTest::addRow("system not a string")
            << withRules("[]", ", 'system': true") << QStringLiteral("system: expected a string, not true");
        QTest::addRow("name not a string") << withRules("[{'name': 1, 'match': 'x', 'reply': 'y'}]")
                                           << QStringLiteral("rules[0].name: expected a string, not 1");
        QTest::addRow("unknown rule key") << withRules("[{'match': 'x', 'reply': 'y', 'dealy_ms': 5}]")
                                          << QStringLiteral("rules[0].dealy_ms: the key is not known");
        QTest::addRow("unknown top-level key")
            << withRules("[]", ", 'rule': []") << QStringLiteral("rule: the key is not known");
        QTest::addRow("fallback not an object")
            << withRules("[]", ", 'fallback': 'sorry'") << QStringLiteral("fallback: expected an object");
        QTest::addRow("fallback without reply")
            << withRules("[]", ", 'fallback': {'delay_ms': 5}") << QStringLiteral("fallback.reply: the key is missing");
        QTest::addRow("fallback placeholder") << withRules("[]", ", 'fallback': {'reply': '{who}'}")
                                              << QStringLiteral("fallback.reply: the placeholder {who}");
        QTest::addRow("fallback delay") << withRules("[]", ", 'fallback': {'reply': 'x', 'delay_ms': -1}")
                                        << QStringLiteral("fallback.delay_ms: expected a whole number");
    }

    void loadErrors()
    {
        QFETCH(QByteArray, document);
        QFETCH(QString, mentions);
        const auto agent = RulesAgent::fromJson(document);
        QVERIFY2(!agent.hasValue(), "the rules loaded but should not have");
        QCOMPARE(agent.error().code, QStringLiteral("rules.invalid"));
        QVERIFY2(agent.error().message.contains(mentions), qPrintable(agent.errorText()));
        QVERIFY2(agent.error().message.endsWith(u'.'), qPrintable(agent.errorText()));
    }

    void loadReadsFiles()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());

        const QString good = dir.filePath(QStringLiteral("good.json"));
        {
            QFile file(good);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(withRules("[{'match': 'ping', 'reply': 'pong'}]", ", 'system': 'Test agent.'"));
        }
        const auto loaded = RulesAgent::load(good);
        QVERIFY2(loaded.hasValue(), qPrintable(loaded.errorText()));
        QCOMPARE((*loaded)->systemPrompt(), QStringLiteral("Test agent."));
        QCOMPARE(contentOf(**loaded, QStringLiteral("ping")), QStringLiteral("pong"));

        const QString bad = dir.filePath(QStringLiteral("bad.json"));
        {
            QFile file(bad);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(withRules("[{'match': '(', 'regex': true, 'reply': 'y'}]"));
        }
        const auto broken = RulesAgent::load(bad);
        QVERIFY(!broken.hasValue());
        QCOMPARE(broken.error().code, QStringLiteral("rules.invalid"));
        QVERIFY2(broken.error().message.startsWith(bad + QStringLiteral(": rules[0].match: ")),
            qPrintable(broken.errorText()));

        const QString missing = dir.filePath(QStringLiteral("missing.json"));
        const auto absent = RulesAgent::load(missing);
        QVERIFY(!absent.hasValue());
        QCOMPARE(absent.error().code, QStringLiteral("rules.open"));
        QVERIFY2(absent.error().message.contains(missing), qPrintable(absent.errorText()));
    }

    void defaultRulesAreTheResource()
    {
        const auto fromResource = RulesAgent::load(QString(RulesAgent::defaultRulesPath));
        QVERIFY2(fromResource.hasValue(), qPrintable(fromResource.errorText()));
        QVERIFY((*fromResource)->ruleCount() >= 10);
    }

    void silentAgentNeverReplies()
    {
        const SilentAgent agent;
        QVERIFY(agent.systemPrompt().isEmpty());
        for (const char* text : {"What's the price of Tesla?", "hello", "", "help"})
            QVERIFY(!agent.reply(turn(QString::fromUtf8(text))).has_value());
    }

    void repliesFromSeveralThreads()
    {
        const std::unique_ptr<const Agent> agent = RulesAgent::defaultRules();
        const QStringList texts {QStringLiteral("What's the price of Tesla?"), QStringLiteral("price of Bitcoin"),
            QStringLiteral("hello"), QStringLiteral("thanks"), QStringLiteral("weather?"), QStringLiteral("NVDA")};
        QStringList expected;
        for (const QString& text : texts)
            expected << contentOf(*agent, text);

        constexpr int threadCount = 4;
        constexpr int rounds = 500;
        std::vector<QStringList> results(threadCount);
        std::vector<std::unique_ptr<QThread>> threads;
        threads.reserve(threadCount);
        for (int t = 0; t < threadCount; ++t) {
            threads.emplace_back(QThread::create([&, t] {
                for (int round = 0; round < rounds; ++round) {
                    QStringList contents;
                    for (const QString& text : texts)
                        contents << contentOf(*agent, text);
                    if (round == 0 || contents != results[t])
                        results[t] = contents;
                    if (contents != expected)
                        return; // leaves the wrong answers for the comparison below
                }
            }));
        }
        for (auto& thread : threads)
            thread->start();
        for (auto& thread : threads)
            QVERIFY(thread->wait(QDeadlineTimer(30000)));
        for (const QStringList& result : results)
            QCOMPARE(result, expected);
    }
};

QTEST_GUILESS_MAIN(TestAgent)
#include "tst_agent.moc"
