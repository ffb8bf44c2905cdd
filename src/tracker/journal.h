// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QByteArray>
#include <QFile>
#include <QList>
#include <QMutex>
#include <QString>

#include <map>
#include <memory>

namespace voxtrack::tracker {

/// An append-only log of records on disk, in segment files named by the offset of their first
/// byte (journal-<16 hex digits>.vtj), with a checkpoint: the offset of the first record not
/// known to be in the database. Records are [u32 length][u32 CRC-32C][payload], little endian.
/// A record cut short by a crash (a torn tail) is found by its length or checksum and cut off
/// when the journal is opened.
///
/// append() is called by one thread and read()/setCheckpoint() by another: every method locks.
class Journal {
public:
    struct Record {
        qint64 offset = 0; ///< where the record starts
        qint64 next = 0; ///< where the one after it starts
        QByteArray payload;
    };

    /// Opens the journal in directory, creating the directory if needed. Error codes:
    /// journal.open (the directory or a file cannot be used), journal.corrupt.
    [[nodiscard]] static Expected<std::unique_ptr<Journal>> open(
        const QString& directory, qint64 segmentBytes = 64 * 1024 * 1024);
    ~Journal();

    [[nodiscard]] QString directory() const { return m_directory; }
    [[nodiscard]] qint64 checkpoint() const;
    [[nodiscard]] qint64 endOffset() const;
    /// Bytes of records after the checkpoint: what is journaled but not yet in the database.
    [[nodiscard]] qint64 pendingBytes() const;

    /// Appends payloads with one write. offsets, when given, receives each record's offset.
    /// With sync, the data is flushed to the device (fdatasync) before returning.
    Status append(const QList<QByteArray>& payloads, QList<qint64>* offsets = nullptr, bool sync = false);

    /// Reads up to maxCount records starting at offset (which must be a record's start).
    [[nodiscard]] Expected<QList<Record>> read(qint64 offset, int maxCount) const;

    /// Records that everything before offset is in the database; removes segments that lie
    /// wholly before it. The checkpoint file is replaced atomically.
    Status setCheckpoint(qint64 offset);

private:
    Journal() = default;
    Status openWriteSegment(qint64 start);
    Status recover();
    [[nodiscard]] QString segmentPath(qint64 start) const;

    mutable QMutex m_mutex;
    QString m_directory;
    qint64 m_segmentBytes = 0;
    std::map<qint64, QString> m_segments; ///< start offset → file path
    std::unique_ptr<QFile> m_writeFile;
    qint64 m_writeStart = 0;
    qint64 m_end = 0;
    qint64 m_checkpoint = 0;
};

/// CRC-32C (Castagnoli) of data.
[[nodiscard]] quint32 crc32c(QByteArrayView data);

} // namespace voxtrack::tracker
