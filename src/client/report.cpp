// SPDX-License-Identifier: MIT
#include "client/report.h"

#include <QCoreApplication>
#include <QDir>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QXmlStreamWriter>

#include <algorithm>
#include <cmath>

namespace voxtrack::client {

namespace {

const char* const context = "voxtrack::client::RunReport";
constexpr int junitFindingLimit = 50;
constexpr int textFindingLimit = 20;

QString tr(const char* text)
{
    return QCoreApplication::translate(context, text);
}

/// Replaces what XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF)
/// with U+FFFD: QXmlStreamWriter escapes markup but writes such characters as they are.
QString xmlSafe(const QString& text)
{
    QString out;
    out.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        const char16_t u = c.unicode();
        if (c.isHighSurrogate() && i + 1 < text.size() && text.at(i + 1).isLowSurrogate()) {
            out += c;
            out += text.at(++i);
            continue;
        }
        const bool allowed
            = u == 0x9 || u == 0xA || u == 0xD || (u >= 0x20 && u <= 0xD7FF) || (u >= 0xE000 && u <= 0xFFFD);
        out += allowed ? c : QChar(QChar::ReplacementCharacter);
    }
    return out;
}

QString number(double value)
{
    if (!std::isfinite(value))
        return QString::number(value);
    return QString::number(value, 'g', 12);
}

QString thresholdLine(const Threshold& t)
{
    return tr("%1: %2 (limit %3 %4)")
        .arg(t.name, number(t.actual), t.lowerIsBetter ? QStringLiteral("<=") : QStringLiteral(">="), number(t.limit));
}

QString findingLine(const Finding& f)
{
    QString line = u'[' + f.check + u']';
    if (!f.sessionId.isEmpty())
        line += u' ' + tr("session %1").arg(f.sessionId);
    if (!f.field.isEmpty())
        line += u' ' + f.field;
    if (!f.expected.isEmpty() || !f.actual.isEmpty())
        line += u' ' + tr("expected \"%1\", got \"%2\"").arg(f.expected, f.actual);
    if (!f.message.isEmpty())
        line += QStringLiteral(": ") + f.message;
    return line;
}

double rounded(double value, int decimals)
{
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

QString millisecondsText(qint64 microseconds)
{
    return QString::number(double(microseconds) / 1000.0, 'f', 3);
}

void writeTestcase(QXmlStreamWriter& xml, const QString& classname, const QString& name,
    const QString& failureMessage = {}, const QString& failureText = {}, const QString& failureType = {})
{
    xml.writeStartElement(QStringLiteral("testcase"));
    xml.writeAttribute(QStringLiteral("classname"), xmlSafe(classname));
    xml.writeAttribute(QStringLiteral("name"), xmlSafe(name));
    xml.writeAttribute(QStringLiteral("time"), QStringLiteral("0"));
    if (!failureMessage.isEmpty()) {
        xml.writeStartElement(QStringLiteral("failure"));
        xml.writeAttribute(QStringLiteral("message"), xmlSafe(failureMessage));
        xml.writeAttribute(QStringLiteral("type"), failureType);
        if (!failureText.isEmpty())
            xml.writeCharacters(xmlSafe(failureText));
        xml.writeEndElement();
    }
    xml.writeEndElement();
}

QString csvField(const QString& field)
{
    if (!field.contains(u',') && !field.contains(u'"') && !field.contains(u'\n') && !field.contains(u'\r'))
        return field;
    QString quoted = field;
    quoted.replace(u'"', QStringLiteral("\"\""));
    return u'"' + quoted + u'"';
}

QString csvMeasure(qint64 microseconds)
{
    return microseconds < 0 ? QString() : QString::number(microseconds);
}

Status writeFile(const QString& path, const QByteArray& data)
{
    QSaveFile file(path);
    if (file.open(QIODevice::WriteOnly) && file.write(data) == data.size() && file.commit())
        return {};
    return {QStringLiteral("report.write"), tr("Could not write the report %1: %2.").arg(path, file.errorString())};
}

} // namespace

double RunReport::messagesPerSecond() const
{
    return durationSeconds > 0 ? double(messagesAcked) / durationSeconds : 0;
}

double RunReport::repliesPerSecond() const
{
    return durationSeconds > 0 ? double(reply.count()) / durationSeconds : 0;
}

bool RunReport::passed() const
{
    return failedThresholds() == 0 && findings.isEmpty();
}

int RunReport::failedThresholds() const
{
    return int(std::count_if(thresholds.cbegin(), thresholds.cend(), [](const Threshold& t) { return !t.passed(); }));
}

QJsonObject RunReport::toJson() const
{
    QJsonArray thresholdArray;
    for (const Threshold& t : thresholds)
        thresholdArray.append(QJsonObject {{QStringLiteral("name"), t.name}, {QStringLiteral("limit"), t.limit},
            {QStringLiteral("actual"), t.actual}, {QStringLiteral("lower_is_better"), t.lowerIsBetter},
            {QStringLiteral("passed"), t.passed()}});
    QJsonArray findingArray;
    for (const Finding& f : findings)
        findingArray.append(
            QJsonObject {{QStringLiteral("check"), f.check}, {QStringLiteral("session_id"), f.sessionId},
                {QStringLiteral("field"), f.field}, {QStringLiteral("expected"), f.expected},
                {QStringLiteral("actual"), f.actual}, {QStringLiteral("message"), f.message}});
    QJsonObject errors;
    for (auto it = errorsByCode.cbegin(); it != errorsByCode.cend(); ++it)
        errors.insert(it.key(), it.value());

    return {{QStringLiteral("version"), 1}, {QStringLiteral("scenario"), scenario}, {QStringLiteral("server"), server},
        {QStringLiteral("started_at"),
            startedAt.isValid() ? startedAt.toUTC().toString(Qt::ISODateWithMs) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("duration_seconds"), std::round(durationSeconds * 1000.0) / 1000.0},
        {QStringLiteral("passed"), passed()}, {QStringLiteral("verified"), verified},
        {QStringLiteral("interrupted"), interrupted},
        {QStringLiteral("sessions"),
            QJsonObject {{QStringLiteral("planned"), sessionsPlanned}, {QStringLiteral("started"), sessionsStarted},
                {QStringLiteral("completed"), sessionsCompleted}, {QStringLiteral("failed"), sessionsFailed},
                {QStringLiteral("peak_concurrent"), peakConcurrent}}},
        {QStringLiteral("messages"),
            QJsonObject {{QStringLiteral("sent"), messagesSent}, {QStringLiteral("acked"), messagesAcked},
                {QStringLiteral("persisted"), messagesPersisted}}},
        {QStringLiteral("latency"),
            QJsonObject {{QStringLiteral("connect"), connect.toJson()}, {QStringLiteral("ack"), ack.toJson()},
                {QStringLiteral("reply"), reply.toJson()}, {QStringLiteral("persisted"), persisted.toJson()}}},
        {QStringLiteral("throughput"),
            QJsonObject {{QStringLiteral("messages_per_second"), rounded(messagesPerSecond(), 1)},
                {QStringLiteral("replies_per_second"), rounded(repliesPerSecond(), 1)}}},
        {QStringLiteral("client"),
            QJsonObject {{QStringLiteral("threads"), threads},
                {QStringLiteral("cpu_seconds"),
                    clientCpuSeconds < 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(rounded(clientCpuSeconds, 3))},
                {QStringLiteral("cpu_us_per_message"),
                    clientCpuSeconds < 0 || messagesSent == 0
                        ? QJsonValue(QJsonValue::Null)
                        : QJsonValue(rounded(clientCpuSeconds * 1e6 / double(messagesSent), 1))},
                {QStringLiteral("peak_rss_mb"),
                    clientPeakRssMb < 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(rounded(clientPeakRssMb, 1))}}},
        {QStringLiteral("thresholds"), thresholdArray}, {QStringLiteral("findings"), findingArray},
        {QStringLiteral("errors_by_code"), errors}};
}

QString RunReport::toText() const
{
    QString out;
    out += tr("voxtrack drive: %1 against %2\n").arg(scenario, server);
    out += tr("started %1, ran %2 s%3\n")
               .arg(startedAt.isValid() ? startedAt.toUTC().toString(Qt::ISODate) : QStringLiteral("-"))
               .arg(durationSeconds, 0, 'f', 1)
               .arg(interrupted ? tr(" (interrupted)") : QString());
    out += tr("sessions: %1 planned, %2 started, %3 completed, %4 failed\n")
               .arg(sessionsPlanned)
               .arg(sessionsStarted)
               .arg(sessionsCompleted)
               .arg(sessionsFailed);
    out += tr("messages: %1 sent, %2 acknowledged, %3 persisted\n")
               .arg(messagesSent)
               .arg(messagesAcked)
               .arg(messagesPersisted);
    if (durationSeconds > 0) {
        out += tr("throughput: %1 messages/s, %2 replies/s; peak concurrency %3 sessions\n")
                   .arg(messagesPerSecond(), 0, 'f', 1)
                   .arg(repliesPerSecond(), 0, 'f', 1)
                   .arg(peakConcurrent);
    }
    if (clientCpuSeconds >= 0) {
        out += tr("client: %1 thread(s), %2 s CPU (%3 µs per message), peak memory %4 MB\n")
                   .arg(threads)
                   .arg(clientCpuSeconds, 0, 'f', 2)
                   .arg(messagesSent > 0 ? clientCpuSeconds * 1e6 / double(messagesSent) : 0.0, 0, 'f', 1)
                   .arg(clientPeakRssMb, 0, 'f', 1);
    }

    out += u'\n';
    out += QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8\n")
               .arg(tr("latency (ms)"), -12)
               .arg(tr("count"), 8)
               .arg(QStringLiteral("p50"), 10)
               .arg(QStringLiteral("p90"), 10)
               .arg(QStringLiteral("p99"), 10)
               .arg(QStringLiteral("p99.9"), 10)
               .arg(tr("max"), 10)
               .arg(tr("mean"), 10);
    const std::pair<QString, const LatencyHistogram*> rows[]
        = {{tr("connect"), &connect}, {tr("ack"), &ack}, {tr("reply"), &reply}, {tr("persisted"), &persisted}};
    for (const auto& [name, h] : rows)
        out += QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8\n")
                   .arg(name, -12)
                   .arg(h->count(), 8)
                   .arg(millisecondsText(h->percentile(0.5)), 10)
                   .arg(millisecondsText(h->percentile(0.9)), 10)
                   .arg(millisecondsText(h->percentile(0.99)), 10)
                   .arg(millisecondsText(h->percentile(0.999)), 10)
                   .arg(millisecondsText(h->max()), 10)
                   .arg(h->mean() / 1000.0, 10, 'f', 3);

    if (!thresholds.isEmpty()) {
        out += u'\n' + tr("thresholds:") + u'\n';
        for (const Threshold& t : thresholds)
            out += QStringLiteral("  %1  %2\n").arg(t.passed() ? tr("PASS") : tr("FAIL"), thresholdLine(t));
    }

    out += u'\n';
    if (!verified)
        out += tr("verification: not run") + u'\n';
    else if (findings.isEmpty())
        out += tr("verification: the database matches the conversations") + u'\n';
    if (!findings.isEmpty()) {
        out += tr("findings: %1").arg(findings.size()) + u'\n';
        for (qsizetype i = 0; i < std::min<qsizetype>(findings.size(), textFindingLimit); ++i)
            out += QStringLiteral("  ") + findingLine(findings.at(i)) + u'\n';
        if (findings.size() > textFindingLimit)
            out += QStringLiteral("  ") + tr("… and %1 more (see summary.json)").arg(findings.size() - textFindingLimit)
                + u'\n';
    }

    if (!errorsByCode.isEmpty()) {
        out += tr("errors by code:") + u'\n';
        for (auto it = errorsByCode.cbegin(); it != errorsByCode.cend(); ++it)
            out += QStringLiteral("  %1: %2\n").arg(it.key()).arg(it.value());
    }

    out += u'\n';
    out += passed() ? tr("PASSED")
                    : tr("FAILED: %1 threshold(s) failed, %2 finding(s)").arg(failedThresholds()).arg(findings.size());
    out += u'\n';
    return out;
}

QByteArray RunReport::toJUnitXml(const QList<TurnSample>& turns) const
{
    // Failing sessions in order of first appearance, with what went wrong in each.
    QStringList sessionOrder;
    QHash<QString, QStringList> sessionProblems;
    const auto note = [&](const QString& session, const QString& line) {
        auto it = sessionProblems.find(session);
        if (it == sessionProblems.end()) {
            sessionOrder.append(session);
            it = sessionProblems.insert(session, {});
        }
        it->append(line);
    };
    for (const Finding& f : findings)
        if (!f.sessionId.isEmpty())
            note(f.sessionId, findingLine(f));
    for (const TurnSample& t : turns)
        if (!t.ok)
            note(t.sessionId, tr("turn %1: %2").arg(t.turn).arg(t.error.isEmpty() ? tr("failed") : t.error));

    const int failedThresholdCount = failedThresholds();
    const int tests = int(thresholds.size()) + 1 + int(sessionOrder.size());
    const int failures = failedThresholdCount + (findings.isEmpty() ? 0 : 1) + int(sessionOrder.size());
    const QString time = QString::number(std::max(0.0, durationSeconds), 'f', 3);
    const QString suiteName = xmlSafe(QStringLiteral("voxtrack drive: ") + scenario);

    QByteArray data;
    QXmlStreamWriter xml(&data);
    xml.setAutoFormatting(true);
    xml.writeStartDocument();
    xml.writeStartElement(QStringLiteral("testsuites"));
    xml.writeAttribute(QStringLiteral("name"), suiteName);
    xml.writeAttribute(QStringLiteral("tests"), QString::number(tests));
    xml.writeAttribute(QStringLiteral("failures"), QString::number(failures));
    xml.writeAttribute(QStringLiteral("errors"), QStringLiteral("0"));
    xml.writeAttribute(QStringLiteral("time"), time);

    xml.writeStartElement(QStringLiteral("testsuite"));
    xml.writeAttribute(QStringLiteral("name"), suiteName);
    xml.writeAttribute(QStringLiteral("tests"), QString::number(tests));
    xml.writeAttribute(QStringLiteral("failures"), QString::number(failures));
    xml.writeAttribute(QStringLiteral("errors"), QStringLiteral("0"));
    xml.writeAttribute(QStringLiteral("skipped"), QString::number(verified ? 0 : 1));
    xml.writeAttribute(QStringLiteral("time"), time);
    if (startedAt.isValid())
        xml.writeAttribute(QStringLiteral("timestamp"), startedAt.toUTC().toString(Qt::ISODate));
    xml.writeStartElement(QStringLiteral("properties"));
    const std::pair<QString, QString> properties[]
        = {{QStringLiteral("server"), server}, {QStringLiteral("sessions.planned"), QString::number(sessionsPlanned)},
            {QStringLiteral("sessions.completed"), QString::number(sessionsCompleted)},
            {QStringLiteral("sessions.failed"), QString::number(sessionsFailed)},
            {QStringLiteral("messages.sent"), QString::number(messagesSent)},
            {QStringLiteral("messages.persisted"), QString::number(messagesPersisted)},
            {QStringLiteral("interrupted"), interrupted ? QStringLiteral("true") : QStringLiteral("false")}};
    for (const auto& [name, value] : properties) {
        xml.writeStartElement(QStringLiteral("property"));
        xml.writeAttribute(QStringLiteral("name"), name);
        xml.writeAttribute(QStringLiteral("value"), xmlSafe(value));
        xml.writeEndElement();
    }
    xml.writeEndElement(); // properties

    for (const Threshold& t : thresholds)
        writeTestcase(xml, QStringLiteral("thresholds"), t.name, t.passed() ? QString() : thresholdLine(t), {},
            QStringLiteral("threshold"));

    // Verification: skipped when not run, failed with up to 50 findings.
    const QString verificationName = QStringLiteral("database matches the conversations");
    if (!verified && findings.isEmpty()) {
        xml.writeStartElement(QStringLiteral("testcase"));
        xml.writeAttribute(QStringLiteral("classname"), QStringLiteral("verification"));
        xml.writeAttribute(QStringLiteral("name"), verificationName);
        xml.writeAttribute(QStringLiteral("time"), QStringLiteral("0"));
        xml.writeStartElement(QStringLiteral("skipped"));
        xml.writeAttribute(QStringLiteral("message"), tr("verification was not run"));
        xml.writeEndElement();
        xml.writeEndElement();
    } else {
        QString text;
        for (qsizetype i = 0; i < std::min<qsizetype>(findings.size(), junitFindingLimit); ++i)
            text += findingLine(findings.at(i)) + u'\n';
        if (findings.size() > junitFindingLimit)
            text += tr("… and %1 more (see summary.json)").arg(findings.size() - junitFindingLimit) + u'\n';
        writeTestcase(xml, QStringLiteral("verification"), verificationName,
            findings.isEmpty() ? QString() : tr("%1 finding(s)").arg(findings.size()), text,
            QStringLiteral("verification"));
    }

    for (const QString& session : sessionOrder) {
        const QStringList& problems = sessionProblems.value(session);
        QStringList shown = problems.mid(0, junitFindingLimit);
        if (problems.size() > junitFindingLimit)
            shown.append(tr("… and %1 more").arg(problems.size() - junitFindingLimit));
        writeTestcase(xml, QStringLiteral("sessions"), session, problems.first(), shown.join(u'\n') + u'\n',
            QStringLiteral("session"));
    }

    xml.writeEndElement(); // testsuite
    xml.writeEndElement(); // testsuites
    xml.writeEndDocument();
    return data;
}

QByteArray turnsCsv(const QList<TurnSample>& turns)
{
    QString out = QStringLiteral("session_id,turn,connect_us,ack_us,reply_us,persisted_us,ok,error\r\n");
    for (const TurnSample& t : turns) {
        const QStringList fields {csvField(t.sessionId), QString::number(t.turn), csvMeasure(t.connectUs),
            csvMeasure(t.ackUs), csvMeasure(t.replyUs), csvMeasure(t.persistedUs),
            t.ok ? QStringLiteral("true") : QStringLiteral("false"), csvField(t.error)};
        out += fields.join(u',') + QStringLiteral("\r\n");
    }
    return out.toUtf8();
}

Status writeReports(const RunReport& report, const QList<TurnSample>& turns, const QString& directory)
{
    if (!QDir().mkpath(directory))
        return {QStringLiteral("report.write"), tr("Could not create the report directory %1.").arg(directory)};
    const QDir dir(directory);
    const std::pair<QString, QByteArray> files[]
        = {{QStringLiteral("summary.json"), QJsonDocument(report.toJson()).toJson(QJsonDocument::Indented)},
            {QStringLiteral("junit.xml"), report.toJUnitXml(turns)}, {QStringLiteral("turns.csv"), turnsCsv(turns)}};
    for (const auto& [name, data] : files) {
        const Status status = writeFile(dir.filePath(name), data);
        if (!status.isNull())
            return status;
    }
    return {};
}

} // namespace voxtrack::client
