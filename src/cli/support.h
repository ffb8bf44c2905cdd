// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QStringList>
#include <QTextStream>

#include <atomic>
#include <optional>

/// What every voxtrack-cli command shares: its streams, its one way of reporting an error,
/// the common options and the parsing of a command line.
namespace voxtrack::cli {

QString tr(const char* text);
QTextStream& out();
QTextStream& err();

/// Prints an error the one way every command does: a sentence on stderr, and with --json the
/// same as {"error": {code, message}} on stdout for programs. Returns ExitCannotRun.
int fail(const Error& error, bool json);

QCommandLineOption databaseOption();
QCommandLineOption jsonOption();

/// Parses a command's options; on a usage error prints it and returns false. Up to
/// maxPositional positional arguments are accepted; the command checks the ones it needs.
bool parse(
    QCommandLineParser& parser, const QStringList& arguments, bool json, int& exitCode, qsizetype maxPositional = 0);

/// The --db URL (or its default); with createDefaultDirectory the default SQLite file's
/// directory is created.
Expected<DatabaseUrl> databaseUrl(const QCommandLineParser& parser, bool createDefaultDirectory);

/// A whole number option within [low, high]; fallback when the option is absent (without a
/// fallback the option is required). Error code usage, naming the option and the range.
Expected<qint64> wholeNumber(const QCommandLineParser& parser, const QString& name, qint64 low, qint64 high,
    std::optional<qint64> fallback = std::nullopt);

/// A line of progress on stderr that rewrites itself, shown only when stderr is a terminal (and
/// the command wants it): nothing of it reaches a file or a pipe.
class ProgressLine {
public:
    explicit ProgressLine(bool wanted = true);
    ~ProgressLine() { clear(); }
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    [[nodiscard]] bool isShown() const { return m_shown; }
    void show(const QString& text);
    /// Erases the line, so that what follows starts on a clean one.
    void clear();

private:
    bool m_shown;
    bool m_dirty = false;
};

/// While one exists, SIGINT (Ctrl+C) and SIGTERM are counted instead of ending the process; the
/// previous handlers come back when it goes. One at a time.
class InterruptCounter {
public:
    InterruptCounter();
    ~InterruptCounter();
    InterruptCounter(const InterruptCounter&) = delete;
    InterruptCounter& operator=(const InterruptCounter&) = delete;

    /// How many interruptions came so far.
    [[nodiscard]] int count() const;
    /// Set by the first one: for work that polls a flag (lock-free, safe from the handler).
    [[nodiscard]] const std::atomic<bool>& interrupted() const;

private:
    void (*m_previousInt)(int);
    void (*m_previousTerm)(int);
};

/// voxtrack-cli drive (drive.cpp).
int drive(const QStringList& arguments);

/// voxtrack-cli seed (seed.cpp).
int seed(const QStringList& arguments);

} // namespace voxtrack::cli
