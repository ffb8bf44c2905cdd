// SPDX-License-Identifier: MIT
#include "store/sqlscript.h"

#include <QRegularExpression>

namespace voxtrack::store {

namespace {

bool isWordChar(QChar c)
{
    return c.isLetterOrNumber() || c == u'_';
}

/// Where a trigger statement stands: its body opens with BEGIN and closes with the END that
/// does not close a CASE.
struct TriggerState {
    bool inTrigger = false;
    bool inBody = false;
    int caseDepth = 0;
    bool complete = false;

    void word(const QString& upper, bool firstWord, const QStringList& wordsSoFar)
    {
        if (firstWord) {
            *this = {};
            return;
        }
        if (!inTrigger) {
            // CREATE [TEMP|TEMPORARY] TRIGGER
            if (upper == u"TRIGGER" && !wordsSoFar.isEmpty() && wordsSoFar.constFirst() == u"CREATE"
                && wordsSoFar.size() <= 3)
                inTrigger = true;
            return;
        }
        if (!inBody) {
            if (upper == u"BEGIN")
                inBody = true;
            return;
        }
        if (upper == u"CASE") {
            ++caseDepth;
        } else if (upper == u"END") {
            if (caseDepth > 0)
                --caseDepth;
            else
                complete = true;
        }
    }

    [[nodiscard]] bool holdsSemicolon() const { return inTrigger && !complete; }
};

} // namespace

QStringList splitSqlScript(const QString& script)
{
    static const QRegularExpression dollarTag(QStringLiteral(R"(\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$)"));
    QStringList statements;
    QString current;
    QStringList words; // upper-cased words of the current statement, up to the first few
    TriggerState trigger;
    const qsizetype n = script.size();

    auto flush = [&] {
        const QString statement = current.trimmed();
        if (!statement.isEmpty())
            statements << statement;
        current.clear();
        words.clear();
        trigger = {};
    };

    for (qsizetype i = 0; i < n; ++i) {
        const QChar c = script.at(i);
        const QChar next = i + 1 < n ? script.at(i + 1) : QChar();
        if (c == u'-' && next == u'-') {
            while (i < n && script.at(i) != u'\n')
                ++i;
            current += u'\n';
            continue;
        }
        if (c == u'/' && next == u'*') {
            const qsizetype close = script.indexOf(QStringLiteral("*/"), i + 2);
            i = close < 0 ? n : close + 1;
            current += u' ';
            continue;
        }
        if (c == u'\'' || c == u'"') {
            // PostgreSQL E'…' strings take backslash escapes.
            const bool escapes = c == u'\'' && i > 0 && (script.at(i - 1) == u'E' || script.at(i - 1) == u'e')
                && (i < 2 || !isWordChar(script.at(i - 2)));
            qsizetype j = i + 1;
            while (j < n) {
                if (escapes && script.at(j) == u'\\') {
                    j += 2;
                    continue;
                }
                if (script.at(j) == c) {
                    if (j + 1 < n && script.at(j + 1) == c) { // doubled quote inside
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            current += script.mid(i, j - i + 1);
            i = j;
            continue;
        }
        if (c == u'$') {
            const auto match = dollarTag.match(
                script, i, QRegularExpression::NormalMatch, QRegularExpression::AnchorAtOffsetMatchOption);
            if (match.hasMatch() && (i == 0 || !isWordChar(script.at(i - 1)))) {
                const QString delimiter = match.captured();
                const qsizetype close = script.indexOf(delimiter, i + delimiter.size());
                const qsizetype end = close < 0 ? n : close + delimiter.size();
                current += script.mid(i, end - i);
                i = end - 1;
                continue;
            }
        }
        if (c.isLetter() || c == u'_') {
            qsizetype j = i;
            while (j < n && isWordChar(script.at(j)))
                ++j;
            const QString word = script.mid(i, j - i);
            const QString upper = word.toUpper();
            trigger.word(upper, words.isEmpty(), words);
            if (words.size() < 4)
                words << upper;
            current += word;
            i = j - 1;
            continue;
        }
        if (c == u';') {
            if (trigger.holdsSemicolon()) {
                current += c;
                continue;
            }
            flush();
            continue;
        }
        current += c;
    }
    flush();
    return statements;
}

} // namespace voxtrack::store
