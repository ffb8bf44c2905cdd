// SPDX-License-Identifier: MIT
#include "support/testdatabase.h"
#include "tracker/command.h"
#include "tracker/journal.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace voxtrack;
using namespace voxtrack::tracker;

namespace {

/// A command as a data column: std::variant has no operator== QMetaType could use.
struct CommandCase {
    Command command;
};

QDateTime utc(const char* iso)
{
    return QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODateWithMs);
}

/// Compares two commands field by field (QCOMPARE: returns from this helper on the first
/// difference; the caller checks QTest::currentTestFailed()).
void compareCommands(const Command& actual, const Command& expected)
{
    QCOMPARE(actual.index(), expected.index());
    if (const auto* start = std::get_if<StartSession>(&expected)) {
        const auto& got = std::get<StartSession>(actual);
        QCOMPARE(got.sessionId, start->sessionId);
        QCOMPARE(got.userId, start->userId);
        QCOMPARE(got.startedAt, start->startedAt);
        QCOMPARE(got.startedAt.toMSecsSinceEpoch(), start->startedAt.toMSecsSinceEpoch());
        QCOMPARE(got.metadata, start->metadata);
    } else if (const auto* message = std::get_if<TrackMessage>(&expected)) {
        const MessageRecord& got = std::get<TrackMessage>(actual).message;
        const MessageRecord& want = message->message;
        QCOMPARE(got.sessionId, want.sessionId);
        QCOMPARE(got.userId, want.userId);
        QCOMPARE(got.role, want.role);
        QCOMPARE(got.content, want.content);
        QCOMPARE(got.audioUrl, want.audioUrl);
        QCOMPARE(got.metadata, want.metadata);
        QCOMPARE(got.createdAt.toMSecsSinceEpoch(), want.createdAt.toMSecsSinceEpoch());
        QCOMPARE(got.messageId, want.messageId);
        QCOMPARE(got.seq, want.seq);
    } else {
        const auto& want = std::get<EndSession>(expected);
        const auto& got = std::get<EndSession>(actual);
        QCOMPARE(got.sessionId, want.sessionId);
        QCOMPARE(got.startedAt.toMSecsSinceEpoch(), want.startedAt.toMSecsSinceEpoch());
        QCOMPARE(got.endedAt.toMSecsSinceEpoch(), want.endedAt.toMSecsSinceEpoch());
        QCOMPARE(got.messageCount, want.messageCount);
        QCOMPARE(got.reason, want.reason);
        QCOMPARE(got.durationSeconds(), want.durationSeconds());
    }
}

QByteArray payloadOf(int index, int size = 24)
{
    QByteArray payload = QByteArray::number(index).rightJustified(6, '0') + ':';
    while (payload.size() < size)
        payload += char('a' + (index + payload.size()) % 26);
    return payload;
}

QStringList segmentFiles(const QString& directory)
{
    return QDir(directory).entryList({QStringLiteral("journal-*.vtj")}, QDir::Files, QDir::Name);
}

/// Opens a journal or fails the calling test (check with QTest::currentTestFailed()).
std::unique_ptr<Journal> openJournal(const QString& directory, qint64 segmentBytes = 64 * 1024 * 1024)
{
    auto journal = Journal::open(directory, segmentBytes);
    if (!journal) {
        QTest::qFail(qPrintable(journal.errorText()), __FILE__, __LINE__);
        return nullptr;
    }
    return std::move(*journal);
}

} // namespace

Q_DECLARE_METATYPE(CommandCase)

class TestJournal : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // ------------------------------------------------------------ command codec

    void commandRoundTrip_data()
    {
        QTest::addColumn<CommandCase>("command");

        QJsonObject nested {{QStringLiteral("channel"), QStringLiteral("web")}, {QStringLiteral("score"), 0.93},
            {QStringLiteral("count"), 42}, {QStringLiteral("flag"), true},
            {QStringLiteral("nothing"), QJsonValue::Null},
            {QStringLiteral("tags"), QJsonArray {QStringLiteral("a"), 2, false}},
            {QStringLiteral("inner"), QJsonObject {{QStringLiteral("k\u00e9y"), QStringLiteral("v\u00e4l")}}}};

        QTest::addRow("start session with metadata") << CommandCase {StartSession {
            QStringLiteral("session-1"), QStringLiteral("user-42"), utc("2025-10-18T09:30:00.123Z"), nested}};
        QTest::addRow("start session, empty metadata") << CommandCase {
            StartSession {QStringLiteral("s"), QStringLiteral("u"), utc("2025-10-18T09:30:00.000Z"), {}}};

        MessageRecord full;
        full.sessionId = QStringLiteral("session-1");
        full.userId = QStringLiteral("user-42");
        full.role = Role::Agent;
        full.content
            = QStringLiteral("Der Kurs von Tesla liegt bei 251,30 \u20ac \U0001F4C8 \u2014 \"quoted\"\ttab\nline");
        full.audioUrl = QStringLiteral("https://example.invalid/audio/\u00e9t\u00e9.wav");
        full.metadata = nested;
        full.createdAt = utc("2025-10-18T09:30:06.500Z");
        full.messageId = QUuid(QStringLiteral("{6f1c7a52-3d2e-4b7a-9c1e-0a1b2c3d4e5f}"));
        full.seq = 3;
        QTest::addRow("message with everything") << CommandCase {TrackMessage {full}};

        MessageRecord minimal;
        minimal.sessionId = QStringLiteral("session-1");
        minimal.role = Role::User;
        minimal.createdAt = utc("2025-10-18T09:30:01.000Z");
        minimal.messageId = QUuid::createUuid();
        minimal.seq = 1;
        QTest::addRow("message: no user, content, audio or metadata") << CommandCase {TrackMessage {minimal}};

        MessageRecord system = minimal;
        system.role = Role::System;
        system.userId = QStringLiteral("user-1");
        system.content = QStringLiteral("You are a market assistant.");
        system.seq = 123456789012LL;
        QTest::addRow("system message, large seq") << CommandCase {TrackMessage {system}};

        QTest::addRow("end session client_closed") << CommandCase {EndSession {QStringLiteral("session-1"),
            utc("2025-10-18T09:30:00.123Z"), utc("2025-10-18T09:30:45.323Z"), 3, EndReason::ClientClosed}};
        QTest::addRow("end session timeout") << CommandCase {EndSession {QStringLiteral("session-2"),
            utc("2025-10-18T09:30:00.000Z"), utc("2025-10-18T10:00:00.000Z"), 0, EndReason::Timeout}};
        QTest::addRow("end session server_shutdown") << CommandCase {EndSession {QStringLiteral("session-3"),
            utc("2025-10-18T09:30:00.000Z"), utc("2025-10-18T09:30:00.000Z"), 1, EndReason::ServerShutdown}};
        QTest::addRow("end session recovered") << CommandCase {EndSession {QStringLiteral("session-4"),
            utc("2025-10-18T09:30:00.000Z"), utc("2025-10-18T09:31:00.001Z"), 7, EndReason::Recovered}};
    }

    void commandRoundTrip()
    {
        QFETCH(CommandCase, command);
        const QByteArray bytes = encodeCommand(command.command);
        QVERIFY(!bytes.isEmpty());
        const auto decoded = decodeCommand(bytes);
        QVERIFY2(decoded.hasValue(), qPrintable(decoded.errorText()));
        compareCommands(*decoded, command.command);
        if (QTest::currentTestFailed())
            return;
        // Encoding is deterministic: the decoded command encodes to the same bytes.
        QCOMPARE(encodeCommand(*decoded), bytes);
    }

    void endSessionDurationHasMillisecondPrecision()
    {
        const EndSession end {QStringLiteral("s"), utc("2025-10-18T09:30:00.123Z"), utc("2025-10-18T09:30:45.322Z"), 0,
            EndReason::ClientClosed};
        QCOMPARE(end.durationSeconds(), 45.199);
    }

    void corruptInputIsRejected_data()
    {
        QTest::addColumn<QByteArray>("bytes");

        MessageRecord message;
        message.sessionId = QStringLiteral("s");
        message.content = QStringLiteral("hello");
        message.createdAt = utc("2025-10-18T09:30:01.000Z");
        message.messageId = QUuid::createUuid();
        const QByteArray valid = encodeCommand(TrackMessage {message});

        auto cbor = [](const QCborMap& map) { return map.toCborValue().toCbor(); };
        const QCborValue id(message.messageId);

        QTest::addRow("empty") << QByteArray();
        QTest::addRow("not CBOR") << QByteArray("\xff\xfe\xfd garbage", 11);
        QTest::addRow("truncated") << valid.left(valid.size() / 2);
        QTest::addRow("CBOR array, not a map") << QCborValue(QCborArray {1, 2, 3}).toCbor();
        QTest::addRow("CBOR text, not a map") << QCborValue(QStringLiteral("hello")).toCbor();
        QTest::addRow("no kind") << cbor(QCborMap {{1, QStringLiteral("s")}});
        QTest::addRow("unknown kind") << cbor(QCborMap {{0, 9}, {1, QStringLiteral("s")}});
        QTest::addRow("role out of range") << cbor(QCborMap {{0, 2}, {1, QStringLiteral("s")}, {5, 7}, {9, id}});
        QTest::addRow("negative role") << cbor(QCborMap {{0, 2}, {1, QStringLiteral("s")}, {5, -1}, {9, id}});
        QTest::addRow("message without role") << cbor(QCborMap {{0, 2}, {1, QStringLiteral("s")}, {9, id}});
        QTest::addRow("message without session") << cbor(QCborMap {{0, 2}, {5, 0}, {9, id}});
        QTest::addRow("message without message id") << cbor(QCborMap {{0, 2}, {1, QStringLiteral("s")}, {5, 0}});
        QTest::addRow("end reason out of range") << cbor(QCborMap {{0, 3}, {1, QStringLiteral("s")}, {13, 4}});
        QTest::addRow("end without reason") << cbor(QCborMap {{0, 3}, {1, QStringLiteral("s")}});
    }

    void corruptInputIsRejected()
    {
        QFETCH(QByteArray, bytes);
        const auto decoded = decodeCommand(bytes);
        QVERIFY(!decoded.hasValue());
        QCOMPARE(decoded.error().code, QStringLiteral("journal.corrupt"));
        QVERIFY(!decoded.error().message.isEmpty());
    }

    // ------------------------------------------------------------ CRC-32C

    void crc32cKnownVectors_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<quint32>("crc");
        // The check value of CRC-32C (Castagnoli), and the vectors of RFC 3720 (iSCSI) B.4.
        QTest::addRow("123456789") << QByteArray("123456789") << quint32(0xE3069283);
        QTest::addRow("empty") << QByteArray() << quint32(0);
        QTest::addRow("32 zero bytes") << QByteArray(32, '\0') << quint32(0x8A9136AA);
        QTest::addRow("32 0xff bytes") << QByteArray(32, '\xff') << quint32(0x62A8AB43);
        QByteArray ascending(32, Qt::Uninitialized);
        for (int i = 0; i < 32; ++i)
            ascending[i] = char(i);
        QTest::addRow("32 ascending bytes") << ascending << quint32(0x46DD794E);
    }

    void crc32cKnownVectors()
    {
        QFETCH(QByteArray, data);
        QFETCH(quint32, crc);
        QCOMPARE(crc32c(data), crc);
    }

    // ------------------------------------------------------------ journal

    void appendAndReadBack()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("nested/journal"));
        auto journal = openJournal(path);
        QVERIFY(journal);
        QCOMPARE(journal->directory(), QDir(path).absolutePath());
        QCOMPARE(journal->endOffset(), 0);
        QCOMPARE(journal->checkpoint(), 0);
        QCOMPARE(journal->pendingBytes(), 0);

        const QList<QByteArray> first {payloadOf(0, 10), payloadOf(1, 100), QByteArray(1, 'z')};
        QList<qint64> offsets;
        VOXTRACK_VERIFY_OK(journal->append(first, &offsets));
        QCOMPARE(offsets, (QList<qint64> {0, 18, 126}));
        QCOMPARE(journal->endOffset(), 135);

        // A second append continues where the first ended, and offsets accumulate.
        const QList<QByteArray> second {payloadOf(3, 50), QByteArray(5000, 'x')};
        VOXTRACK_VERIFY_OK(journal->append(second, &offsets, true));
        QCOMPARE(offsets, (QList<qint64> {0, 18, 126, 135, 193}));
        QCOMPARE(journal->endOffset(), 193 + 8 + 5000);
        QCOMPARE(journal->pendingBytes(), journal->endOffset());
        VOXTRACK_VERIFY_OK(journal->append({payloadOf(5)})); // offsets are optional

        const QList<QByteArray> all = first + second + QList<QByteArray> {payloadOf(5)};
        const auto records = journal->read(0, 100);
        QVERIFY2(records.hasValue(), qPrintable(records.errorText()));
        QCOMPARE(records->size(), all.size());
        qint64 offset = 0;
        for (qsizetype i = 0; i < all.size(); ++i) {
            const Journal::Record& record = records->at(i);
            QCOMPARE(record.offset, offset);
            QCOMPARE(record.payload, all.at(i));
            QCOMPARE(record.next, offset + 8 + all.at(i).size());
            offset = record.next;
        }
        QCOMPARE(offset, journal->endOffset());

        // From the middle, limited by maxCount.
        const auto middle = journal->read(126, 2);
        QVERIFY2(middle.hasValue(), qPrintable(middle.errorText()));
        QCOMPARE(middle->size(), 2);
        QCOMPARE(middle->at(0).offset, 126);
        QCOMPARE(middle->at(0).payload, QByteArray(1, 'z'));
        QCOMPARE(middle->at(1).offset, 135);
        QCOMPARE(middle->at(1).next, 193);

        // At the end: nothing.
        const auto atEnd = journal->read(journal->endOffset(), 10);
        QVERIFY2(atEnd.hasValue(), qPrintable(atEnd.errorText()));
        QVERIFY(atEnd->isEmpty());

        // Reopened, everything is still there and appends continue at the end.
        const qint64 end = journal->endOffset();
        journal.reset();
        journal = openJournal(path);
        QVERIFY(journal);
        QCOMPARE(journal->endOffset(), end);
        QCOMPARE(journal->pendingBytes(), end);
        QList<qint64> more;
        VOXTRACK_VERIFY_OK(journal->append({payloadOf(6)}, &more));
        QCOMPARE(more, QList<qint64> {end});
        const auto reread = journal->read(0, 100);
        QVERIFY2(reread.hasValue(), qPrintable(reread.errorText()));
        QCOMPARE(reread->size(), all.size() + 1);
        QCOMPARE(reread->constLast().payload, payloadOf(6));
    }

    void readsAcrossSegmentBoundaries()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto journal = openJournal(dir.path(), 256);
        QVERIFY(journal);
        QList<qint64> offsets;
        QList<QByteArray> payloads;
        for (int i = 0; i < 40; ++i) {
            payloads << payloadOf(i, 20 + i % 17);
            VOXTRACK_VERIFY_OK(journal->append({payloads.constLast()}, &offsets));
        }
        // Three records in one append go to one segment, whatever its size.
        for (int i = 40; i < 43; ++i)
            payloads << payloadOf(i, 200);
        VOXTRACK_VERIFY_OK(journal->append(payloads.mid(40), &offsets));

        const QStringList files = segmentFiles(dir.path());
        QVERIFY2(files.size() >= 5, qPrintable(files.join(u' ')));
        // Each segment is named by the offset of its first byte.
        for (const QString& file : files) {
            const qint64 start = file.mid(8, 16).toLongLong(nullptr, 16);
            QVERIFY2(start == 0 || offsets.contains(start), qPrintable(file));
        }

        auto checkAll = [&](const Journal& j) {
            const auto records = j.read(0, 1000);
            QVERIFY2(records.hasValue(), qPrintable(records.errorText()));
            QCOMPARE(records->size(), payloads.size());
            for (qsizetype i = 0; i < payloads.size(); ++i) {
                QCOMPARE(records->at(i).offset, offsets.at(i));
                QCOMPARE(records->at(i).payload, payloads.at(i));
                if (i + 1 < payloads.size())
                    QCOMPARE(records->at(i).next, offsets.at(i + 1));
            }
            QCOMPARE(records->constLast().next, j.endOffset());
        };
        checkAll(*journal);
        if (QTest::currentTestFailed())
            return;

        // Reading in small steps crosses every boundary.
        qint64 position = 0;
        int index = 0;
        while (position < journal->endOffset()) {
            const auto step = journal->read(position, 3);
            QVERIFY2(step.hasValue(), qPrintable(step.errorText()));
            QVERIFY(!step->isEmpty());
            for (const Journal::Record& record : *step) {
                QCOMPARE(record.offset, offsets.at(index));
                QCOMPARE(record.payload, payloads.at(index));
                ++index;
                position = record.next;
            }
        }
        QCOMPARE(index, payloads.size());

        // From the middle of one segment into the next ones.
        const auto fromMiddle = journal->read(offsets.at(7), 20);
        QVERIFY2(fromMiddle.hasValue(), qPrintable(fromMiddle.errorText()));
        QCOMPARE(fromMiddle->size(), 20);
        QCOMPARE(fromMiddle->constFirst().payload, payloads.at(7));
        QCOMPARE(fromMiddle->constLast().payload, payloads.at(26));

        // Reopened: all segments are found again.
        journal.reset();
        journal = openJournal(dir.path(), 256);
        QVERIFY(journal);
        QCOMPARE(journal->endOffset(), offsets.constLast() + 8 + 200);
        checkAll(*journal);
    }

    void checkpointPersistsAndDropsFinishedSegments()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto journal = openJournal(dir.path(), 256);
        QVERIFY(journal);
        QList<qint64> offsets;
        for (int i = 0; i < 60; ++i)
            VOXTRACK_VERIFY_OK(journal->append({payloadOf(i, 40)}, &offsets));
        const qint64 end = journal->endOffset();
        QStringList files = segmentFiles(dir.path());
        QVERIFY2(files.size() >= 6, qPrintable(files.join(u' ')));
        auto segmentStart = [](const QString& file) { return file.mid(8, 16).toLongLong(nullptr, 16); };

        // A checkpoint inside the third segment: the first two are done with, the third is not.
        const qint64 third = segmentStart(files.at(2));
        const qint64 fourth = segmentStart(files.at(3));
        const qint64 inside = offsets.at(qsizetype(offsets.indexOf(third)) + 1);
        QVERIFY(inside > third && inside < fourth);
        VOXTRACK_VERIFY_OK(journal->setCheckpoint(inside));
        QCOMPARE(journal->checkpoint(), inside);
        QCOMPARE(journal->pendingBytes(), end - inside);
        QCOMPARE(segmentFiles(dir.path()), files.mid(2));
        const auto fromCheckpoint = journal->read(inside, 1000);
        QVERIFY2(fromCheckpoint.hasValue(), qPrintable(fromCheckpoint.errorText()));
        QCOMPARE(fromCheckpoint->size(), offsets.size() - offsets.indexOf(inside));
        QCOMPARE(fromCheckpoint->constLast().next, end);

        // Persisted across a reopen.
        journal.reset();
        journal = openJournal(dir.path(), 256);
        QVERIFY(journal);
        QCOMPARE(journal->checkpoint(), inside);
        QCOMPARE(journal->endOffset(), end);
        QCOMPARE(journal->pendingBytes(), end - inside);
        QCOMPARE(segmentFiles(dir.path()), files.mid(2));

        // Exactly at a segment's start: the segments before it go, that one stays.
        VOXTRACK_VERIFY_OK(journal->setCheckpoint(fourth));
        QCOMPARE(segmentFiles(dir.path()), files.mid(3));

        // Everything checkpointed: only the segment being written is left.
        VOXTRACK_VERIFY_OK(journal->setCheckpoint(end));
        QCOMPARE(journal->pendingBytes(), 0);
        QCOMPARE(segmentFiles(dir.path()), QStringList {files.constLast()});

        // Appends continue; the old write segment goes once a newer one exists and is checkpointed.
        QList<qint64> more;
        VOXTRACK_VERIFY_OK(journal->append({payloadOf(100, 40)}, &more));
        QCOMPARE(more, QList<qint64> {end});
        QCOMPARE(journal->pendingBytes(), 48);
        const auto last = journal->read(end, 10);
        QVERIFY2(last.hasValue(), qPrintable(last.errorText()));
        QCOMPARE(last->size(), 1);
        QCOMPARE(last->constFirst().payload, payloadOf(100, 40));
        VOXTRACK_VERIFY_OK(journal->setCheckpoint(journal->endOffset()));
        const QStringList remaining = segmentFiles(dir.path());
        QCOMPARE(remaining.size(), 1);
        QVERIFY(segmentStart(remaining.constFirst()) <= end);

        journal.reset();
        journal = openJournal(dir.path(), 256);
        QVERIFY(journal);
        QCOMPARE(journal->checkpoint(), end + 48);
        QCOMPARE(journal->endOffset(), end + 48);
        QCOMPARE(journal->pendingBytes(), 0);
        VOXTRACK_VERIFY_OK(journal->append({payloadOf(101, 40)}, &more));
        QCOMPARE(more.constLast(), end + 48);
        QCOMPARE(journal->pendingBytes(), 48);
    }

    void checkpointFileIsWrittenAtomically()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto journal = openJournal(dir.path());
        QVERIFY(journal);
        VOXTRACK_VERIFY_OK(journal->append({payloadOf(0), payloadOf(1)}));
        VOXTRACK_VERIFY_OK(journal->setCheckpoint(32));
        QFile file(QDir(dir.path()).filePath(QStringLiteral("checkpoint")));
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll().trimmed(), QByteArray("32"));
        // No temporary files are left behind.
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden, QDir::Name),
            (QStringList {QStringLiteral("checkpoint"), QStringLiteral("journal-0000000000000000.vtj")}));
    }

    void tornTailIsCutOff_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<int>("recordsKept");
        QTest::addRow("last record cut short") << QStringLiteral("truncate 3") << 4;
        QTest::addRow("last record's header cut short") << QStringLiteral("header 5") << 4;
        QTest::addRow("only the header of the last record") << QStringLiteral("header 8") << 4;
        QTest::addRow("last record fails its checksum") << QStringLiteral("flip") << 4;
        QTest::addRow("garbage appended") << QStringLiteral("garbage") << 5;
        QTest::addRow("a few garbage bytes appended") << QStringLiteral("garbage 3") << 5;
        // What a crash often leaves: the file's size grew, its data never reached the disk.
        QTest::addRow("zero-filled tail") << QStringLiteral("zeros") << 5;
    }

    void tornTailIsCutOff()
    {
        QFETCH(QString, damage);
        QFETCH(int, recordsKept);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QList<qint64> offsets;
        QList<QByteArray> payloads;
        qint64 end = 0;
        {
            auto journal = openJournal(dir.path(), 4096);
            QVERIFY(journal);
            for (int i = 0; i < 5; ++i) {
                payloads << payloadOf(i, 30);
                VOXTRACK_VERIFY_OK(journal->append({payloads.constLast()}, &offsets));
            }
            end = journal->endOffset();
        }
        const QStringList files = segmentFiles(dir.path());
        QCOMPARE(files.size(), 1);
        QFile file(QDir(dir.path()).filePath(files.constFirst()));
        QCOMPARE(file.size(), end);
        QVERIFY(file.open(QIODevice::ReadWrite));
        if (damage == u"truncate 3") {
            QVERIFY(file.resize(end - 3));
        } else if (damage.startsWith(u"header ")) {
            QVERIFY(file.resize(offsets.at(4) + damage.mid(7).toInt()));
        } else if (damage == u"flip") {
            QVERIFY(file.seek(offsets.at(4) + 8 + 10));
            QVERIFY(file.write("#") == 1);
        } else if (damage.startsWith(u"garbage")) {
            QVERIFY(file.seek(end));
            const QByteArray garbage("\xab\xcd\xef\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 18);
            const int count = damage.size() > 7 ? damage.mid(8).toInt() : int(garbage.size());
            QVERIFY(file.write(garbage.left(count)) == count);
        } else if (damage == u"zeros") {
            QVERIFY(file.seek(end));
            QVERIFY(file.write(QByteArray(4096, '\0')) == 4096);
        } else {
            QFAIL(qPrintable(damage));
        }
        file.close();

        const qint64 keptEnd = recordsKept == 5 ? end : offsets.at(4);
        {
            auto journal = openJournal(dir.path(), 4096);
            QVERIFY(journal);
            QCOMPARE(journal->endOffset(), keptEnd);
            QCOMPARE(QFileInfo(file.fileName()).size(), keptEnd);
            auto records = journal->read(0, 100);
            QVERIFY2(records.hasValue(), qPrintable(records.errorText()));
            QCOMPARE(records->size(), recordsKept);
            for (int i = 0; i < recordsKept; ++i)
                QCOMPARE(records->at(i).payload, payloads.at(i));

            // Appends continue cleanly after the cut.
            QList<qint64> more;
            VOXTRACK_VERIFY_OK(journal->append({payloadOf(10, 30), payloadOf(11, 30)}, &more));
            QCOMPARE(more, (QList<qint64> {keptEnd, keptEnd + 38}));
            records = journal->read(0, 100);
            QVERIFY2(records.hasValue(), qPrintable(records.errorText()));
            QCOMPARE(records->size(), recordsKept + 2);
            QCOMPARE(records->at(recordsKept).payload, payloadOf(10, 30));
            QCOMPARE(records->constLast().payload, payloadOf(11, 30));
        }
        // A second reopen finds a clean journal.
        auto journal = openJournal(dir.path(), 4096);
        QVERIFY(journal);
        QCOMPARE(journal->endOffset(), keptEnd + 76);
        const auto records = journal->read(0, 100);
        QVERIFY2(records.hasValue(), qPrintable(records.errorText()));
        QCOMPARE(records->size(), recordsKept + 2);
    }

    void tornTailInLastOfSeveralSegments()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QList<qint64> offsets;
        qint64 end = 0;
        {
            auto journal = openJournal(dir.path(), 128);
            QVERIFY(journal);
            for (int i = 0; i < 20; ++i)
                VOXTRACK_VERIFY_OK(journal->append({payloadOf(i, 30)}, &offsets));
            end = journal->endOffset();
        }
        const QStringList files = segmentFiles(dir.path());
        QVERIFY(files.size() > 2);
        QFile last(QDir(dir.path()).filePath(files.constLast()));
        QVERIFY(last.open(QIODevice::ReadWrite));
        QVERIFY(last.resize(last.size() - 1));
        last.close();

        auto journal = openJournal(dir.path(), 128);
        QVERIFY(journal);
        QCOMPARE(journal->endOffset(), offsets.constLast());
        QCOMPARE(segmentFiles(dir.path()), files);
        const auto records = journal->read(0, 100);
        QVERIFY2(records.hasValue(), qPrintable(records.errorText()));
        QCOMPARE(records->size(), 19);
        QList<qint64> more;
        VOXTRACK_VERIFY_OK(journal->append({payloadOf(99, 30)}, &more));
        QCOMPARE(more, QList<qint64> {offsets.constLast()});
        QCOMPARE(journal->endOffset(), end);
    }

    void damagedCheckpointIsCorrupt_data()
    {
        QTest::addColumn<QByteArray>("checkpoint");
        QTest::addRow("garbage") << QByteArray("garbage\n");
        QTest::addRow("binary") << QByteArray("\x01\x02\xff", 3);
        QTest::addRow("negative") << QByteArray("-5\n");
        QTest::addRow("empty") << QByteArray();
        QTest::addRow("number with trailing text") << QByteArray("38 bytes\n");
        QTest::addRow("past the journal's end") << QByteArray("100000\n");
    }

    void damagedCheckpointIsCorrupt()
    {
        QFETCH(QByteArray, checkpoint);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        {
            auto journal = openJournal(dir.path());
            QVERIFY(journal);
            VOXTRACK_VERIFY_OK(journal->append({payloadOf(0, 30), payloadOf(1, 30)}));
            VOXTRACK_VERIFY_OK(journal->setCheckpoint(38));
        }
        QFile file(QDir(dir.path()).filePath(QStringLiteral("checkpoint")));
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(file.write(checkpoint), checkpoint.size());
        file.close();

        const auto journal = Journal::open(dir.path());
        QVERIFY(!journal.hasValue());
        QCOMPARE(journal.error().code, QStringLiteral("journal.corrupt"));
        QVERIFY2(journal.error().message.contains(QDir(dir.path()).absolutePath()), qPrintable(journal.errorText()));
    }

    void checkpointWithoutSegmentsStartsThere()
    {
        // Only a checkpoint (segments removed by hand): the journal continues at the checkpoint.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile file(QDir(dir.path()).filePath(QStringLiteral("checkpoint")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("1000\n");
        file.close();
        auto journal = openJournal(dir.path());
        QVERIFY(journal);
        QCOMPARE(journal->checkpoint(), 1000);
        QCOMPARE(journal->endOffset(), 1000);
        QCOMPARE(journal->pendingBytes(), 0);
        QList<qint64> offsets;
        VOXTRACK_VERIFY_OK(journal->append({payloadOf(0, 12)}, &offsets));
        QCOMPARE(offsets, QList<qint64> {1000});
        QCOMPARE(journal->pendingBytes(), 20);
        const auto records = journal->read(1000, 10);
        QVERIFY2(records.hasValue(), qPrintable(records.errorText()));
        QCOMPARE(records->size(), 1);
        QCOMPARE(segmentFiles(dir.path()), QStringList {QStringLiteral("journal-00000000000003e8.vtj")});
    }

    void endOffsetAndPendingBytes()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto journal = openJournal(dir.path());
        QVERIFY(journal);
        QList<qint64> offsets;
        VOXTRACK_VERIFY_OK(journal->append({QByteArray(10, 'a'), QByteArray(20, 'b')}, &offsets));
        QCOMPARE(offsets, (QList<qint64> {0, 18}));
        QCOMPARE(journal->endOffset(), 8 + 10 + 8 + 20);
        QCOMPARE(journal->checkpoint(), 0);
        QCOMPARE(journal->pendingBytes(), 46);

        VOXTRACK_VERIFY_OK(journal->setCheckpoint(18));
        QCOMPARE(journal->checkpoint(), 18);
        QCOMPARE(journal->endOffset(), 46);
        QCOMPARE(journal->pendingBytes(), 28);

        VOXTRACK_VERIFY_OK(journal->append({QByteArray(100, 'c')}));
        QCOMPARE(journal->endOffset(), 154);
        QCOMPARE(journal->pendingBytes(), 136);

        VOXTRACK_VERIFY_OK(journal->setCheckpoint(154));
        QCOMPARE(journal->pendingBytes(), 0);
        VOXTRACK_VERIFY_OK(journal->setCheckpoint(154)); // the same again is fine

        journal.reset();
        journal = openJournal(dir.path());
        QVERIFY(journal);
        QCOMPARE(journal->checkpoint(), 154);
        QCOMPARE(journal->endOffset(), 154);
        QCOMPARE(journal->pendingBytes(), 0);
    }

    void unusableDirectoryIsAnOpenError()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile blocker(dir.filePath(QStringLiteral("file")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        const auto journal = Journal::open(dir.filePath(QStringLiteral("file/journal")));
        QVERIFY(!journal.hasValue());
        QCOMPARE(journal.error().code, QStringLiteral("journal.open"));
    }
};

QTEST_GUILESS_MAIN(TestJournal)
#include "tst_journal.moc"
