// SPDX-License-Identifier: MIT
#include "tracker/journal.h"

#include "tracker/logging.h"

#include <QCoreApplication>
#include <QDir>
#include <QRegularExpression>
#include <QSaveFile>
#include <QtEndian>

#include <array>
#include <unistd.h>

namespace voxtrack::tracker {

namespace {

constexpr qint64 headerBytes = 8;
constexpr quint32 maxRecordBytes = 64 * 1024 * 1024;

QString tr(const char* text)
{
    return QCoreApplication::translate("voxtrack::tracker::Journal", text);
}

Error fileError(const QString& path, const QString& reason)
{
    return {QStringLiteral("journal.open"),
        tr("The journal file %1 cannot be used (%2): check that the journal directory is writable and has "
           "space.")
            .arg(path, reason)};
}

constexpr std::array<quint32, 256> makeCrcTable()
{
    std::array<quint32, 256> table {};
    for (quint32 i = 0; i < 256; ++i) {
        quint32 c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    return table;
}

constexpr auto crcTable = makeCrcTable();

} // namespace

quint32 crc32c(QByteArrayView data)
{
    quint32 crc = 0xFFFFFFFFu;
    for (const char byte : data)
        crc = crcTable[(crc ^ quint8(byte)) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

Expected<std::unique_ptr<Journal>> Journal::open(const QString& directory, qint64 segmentBytes)
{
    if (!QDir().mkpath(directory)) {
        return Error {QStringLiteral("journal.open"),
            tr("Could not create the journal directory %1: choose a writable directory.").arg(directory)};
    }
    std::unique_ptr<Journal> journal(new Journal);
    journal->m_directory = QDir(directory).absolutePath();
    journal->m_segmentBytes = segmentBytes;
    if (Status status = journal->recover(); !status.isNull())
        return status;
    return journal;
}

Journal::~Journal()
{
    if (m_writeFile)
        m_writeFile->flush();
}

QString Journal::segmentPath(qint64 start) const
{
    return QDir(m_directory).filePath(QStringLiteral("journal-%1.vtj").arg(start, 16, 16, QLatin1Char('0')));
}

Status Journal::recover()
{
    static const QRegularExpression segmentName(QStringLiteral(R"(^journal-([0-9a-f]{16})\.vtj$)"));
    const QDir dir(m_directory);
    for (const QString& name : dir.entryList({QStringLiteral("journal-*.vtj")}, QDir::Files)) {
        const auto match = segmentName.match(name);
        if (match.hasMatch())
            m_segments[match.captured(1).toLongLong(nullptr, 16)] = dir.filePath(name);
    }

    QFile checkpointFile(dir.filePath(QStringLiteral("checkpoint")));
    if (checkpointFile.open(QIODevice::ReadOnly)) {
        bool ok = false;
        m_checkpoint = QString::fromLatin1(checkpointFile.readAll()).trimmed().toLongLong(&ok);
        if (!ok || m_checkpoint < 0) {
            return {QStringLiteral("journal.corrupt"),
                tr("The journal checkpoint in %1 is damaged: move the journal directory aside to start "
                   "afresh (its unwritten messages would be lost).")
                    .arg(m_directory)};
        }
    }

    if (m_segments.empty()) {
        m_end = m_checkpoint;
        return openWriteSegment(m_end);
    }

    // Only the last segment can end in a torn record: find its valid end.
    const auto last = std::prev(m_segments.end());
    QFile file(last->second);
    if (!file.open(QIODevice::ReadWrite))
        return fileError(last->second, file.errorString());
    qint64 position = 0;
    const qint64 size = file.size();
    while (position + headerBytes <= size) {
        file.seek(position);
        const QByteArray header = file.read(headerBytes);
        const quint32 length = qFromLittleEndian<quint32>(header.constData());
        const quint32 crc = qFromLittleEndian<quint32>(header.constData() + 4);
        // A zero length is no record: it is what a crash leaves in a zero-filled tail.
        if (length == 0 || length > maxRecordBytes || position + headerBytes + length > size)
            break;
        const QByteArray payload = file.read(length);
        if (crc32c(payload) != crc)
            break;
        position += headerBytes + length;
    }
    if (position < size) {
        qCWarning(lcJournal).noquote() << "cutting a torn record off" << last->second << "at" << position << "of"
                                       << size << "bytes";
        if (!file.resize(position))
            return fileError(last->second, file.errorString());
    }
    file.close();
    m_end = last->first + position;
    if (m_checkpoint > m_end) {
        return {QStringLiteral("journal.corrupt"),
            tr("The journal checkpoint in %1 lies past the journal's end: move the journal directory aside to "
               "start afresh.")
                .arg(m_directory)};
    }
    m_writeStart = last->first;
    m_writeFile = std::make_unique<QFile>(last->second);
    if (!m_writeFile->open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered))
        return fileError(last->second, m_writeFile->errorString());
    qCInfo(lcJournal).noquote() << "journal" << m_directory << "holds" << (m_end - m_checkpoint)
                                << "bytes not yet in the database";
    return {};
}

Status Journal::openWriteSegment(qint64 start)
{
    const QString path = segmentPath(start);
    auto file = std::make_unique<QFile>(path);
    if (!file->open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered))
        return fileError(path, file->errorString());
    m_segments[start] = path;
    m_writeFile = std::move(file);
    m_writeStart = start;
    return {};
}

qint64 Journal::checkpoint() const
{
    QMutexLocker locker(&m_mutex);
    return m_checkpoint;
}

qint64 Journal::endOffset() const
{
    QMutexLocker locker(&m_mutex);
    return m_end;
}

qint64 Journal::pendingBytes() const
{
    QMutexLocker locker(&m_mutex);
    return m_end - m_checkpoint;
}

Status Journal::append(const QList<QByteArray>& payloads, QList<qint64>* offsets, bool sync)
{
    for (const QByteArray& payload : payloads) {
        if (payload.isEmpty() || payload.size() > qsizetype(maxRecordBytes)) {
            return {QStringLiteral("journal.record_size"),
                tr("A journal record must hold 1 byte to 64 MiB, not %1 bytes.").arg(payload.size())};
        }
    }
    QMutexLocker locker(&m_mutex);
    if (m_end - m_writeStart >= m_segmentBytes) {
        if (Status status = openWriteSegment(m_end); !status.isNull())
            return status;
    }
    qsizetype total = 0;
    for (const QByteArray& payload : payloads)
        total += headerBytes + payload.size();
    QByteArray buffer;
    buffer.reserve(total);
    qint64 offset = m_end;
    for (const QByteArray& payload : payloads) {
        char header[headerBytes];
        qToLittleEndian<quint32>(quint32(payload.size()), header);
        qToLittleEndian<quint32>(crc32c(payload), header + 4);
        buffer.append(header, headerBytes);
        buffer.append(payload);
        if (offsets)
            offsets->append(offset);
        offset += headerBytes + payload.size();
    }
    const qint64 written = m_writeFile->write(buffer);
    if (written != buffer.size()) {
        // Leave no partial record behind: cut the file back to where it was.
        m_writeFile->resize(m_end - m_writeStart);
        return fileError(m_writeFile->fileName(), m_writeFile->errorString());
    }
    if (sync && ::fdatasync(m_writeFile->handle()) != 0)
        return fileError(m_writeFile->fileName(), QString::fromLocal8Bit(strerror(errno)));
    m_end = offset;
    return {};
}

Expected<QList<Journal::Record>> Journal::read(qint64 offset, int maxCount) const
{
    QMutexLocker locker(&m_mutex);
    QList<Record> records;
    while (records.size() < maxCount && offset < m_end) {
        auto segment = m_segments.upper_bound(offset);
        if (segment == m_segments.begin())
            return Error {QStringLiteral("journal.corrupt"), tr("No journal segment holds offset %1.").arg(offset)};
        --segment;
        QFile file(segment->second);
        if (!file.open(QIODevice::ReadOnly))
            return fileError(segment->second, file.errorString());
        const auto next = std::next(segment);
        const qint64 segmentEnd = next == m_segments.end() ? m_end : next->first;
        if (!file.seek(offset - segment->first))
            return fileError(segment->second, file.errorString());
        while (records.size() < maxCount && offset < segmentEnd) {
            const QByteArray header = file.read(headerBytes);
            if (header.size() != headerBytes)
                return Error {QStringLiteral("journal.corrupt"), tr("A journal record header is cut short.")};
            const quint32 length = qFromLittleEndian<quint32>(header.constData());
            const quint32 crc = qFromLittleEndian<quint32>(header.constData() + 4);
            QByteArray payload = file.read(length);
            if (length == 0 || payload.size() != qsizetype(length) || crc32c(payload) != crc)
                return Error {QStringLiteral("journal.corrupt"), tr("A journal record fails its checksum.")};
            const qint64 after = offset + headerBytes + length;
            records.append({offset, after, std::move(payload)});
            offset = after;
        }
        if (offset >= segmentEnd && next == m_segments.end())
            break;
    }
    return records;
}

Status Journal::setCheckpoint(qint64 offset)
{
    QMutexLocker locker(&m_mutex);
    if (offset == m_checkpoint)
        return {};
    QSaveFile file(QDir(m_directory).filePath(QStringLiteral("checkpoint")));
    if (!file.open(QIODevice::WriteOnly))
        return fileError(file.fileName(), file.errorString());
    file.write(QByteArray::number(offset) + '\n');
    if (!file.commit())
        return fileError(file.fileName(), file.errorString());
    m_checkpoint = offset;
    // Segments that end at or before the checkpoint are done with, except the one being written.
    for (auto it = m_segments.begin(); it != m_segments.end();) {
        const auto next = std::next(it);
        if (next == m_segments.end() || next->first > offset || it->first == m_writeStart)
            break;
        QFile::remove(it->second);
        it = m_segments.erase(it);
    }
    return {};
}

} // namespace voxtrack::tracker
