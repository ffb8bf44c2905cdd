// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QMediaPlayer>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <memory>

class QAudioOutput;
class QMediaDevices;
class QNetworkAccessManager;
class QNetworkReply;
class QTemporaryFile;

namespace voxtrack::gui {

/// Plays the stored audio of a call: a queue of urls (each a WAV file, as voxtrackd serves
/// /audio/<message_id>.wav), one after the other. Each url is fetched and checked to be a WAV file
/// before it is played, so that a missing recording or a page that is not audio ends in a sentence
/// (errorOccurred) rather than silence. Lives on the GUI thread; everything is asynchronous.
class CallPlayer : public QObject {
    Q_OBJECT

public:
    enum class Output {
        /// QtMultimedia (QMediaPlayer and QAudioOutput) on the system's default audio output;
        /// available while the system has one.
        Speakers,
        /// No sound: each url is fetched and checked, then the player waits for its owner to
        /// report the end (finishCurrent) or a failure (failCurrent). Always available.
        Driven,
    };
    Q_ENUM(Output)

    explicit CallPlayer(QObject* parent = nullptr);
    ~CallPlayer() override;

    /// Stops what is playing and plays through output from now on.
    void setOutput(Output output);
    [[nodiscard]] Output output() const { return m_output; }

    /// Whether anything can be played (Speakers: the system has an audio output).
    [[nodiscard]] bool isAvailable() const;
    /// Why nothing can be played, as one sentence for a tooltip (empty while available).
    [[nodiscard]] QString unavailableReason() const;

    /// Plays urls in order from the first, replacing what was playing. An empty list stops.
    void play(const QList<QUrl>& urls);
    void stop();
    /// Leaves the current url for the next one (after the last: stops, and finished()).
    void next();

    [[nodiscard]] bool isActive() const { return m_index >= 0; }
    /// Whether the current url is playing (not still being fetched).
    [[nodiscard]] bool isPlaying() const { return m_index >= 0 && !m_loading; }
    [[nodiscard]] const QList<QUrl>& queue() const { return m_queue; }
    /// The url being played in queue(), or -1 when stopped.
    [[nodiscard]] int currentIndex() const { return m_index; }
    [[nodiscard]] QUrl currentUrl() const;
    /// Milliseconds into the current url, and its length (0 while unknown).
    [[nodiscard]] qint64 position() const { return m_position; }
    [[nodiscard]] qint64 duration() const { return m_duration; }

public Q_SLOTS:
    /// The current url was played to its end: the next one starts.
    void finishCurrent();
    /// The current url could not be played: playback stops and errorOccurred says why.
    void failCurrent(const QString& reason);
    /// How far the current url has played (milliseconds).
    void setPosition(qint64 position);

Q_SIGNALS:
    /// The url at index of queue() is now the current one; -1 and an empty url: stopped.
    void currentChanged(int index, const QUrl& url);
    /// The current url was fetched and is playing (duration in milliseconds).
    void started(int index, qint64 duration);
    void positionChanged(qint64 position, qint64 duration);
    /// The last url of the queue was played to its end.
    void finished();
    /// Playback stopped because of this (one sentence saying what was wrong and what to do).
    void errorOccurred(const QString& message);
    void availabilityChanged(bool available);

private:
    void startCurrent();
    void fetched(QNetworkReply* reply);
    void mediaStatusChanged(QMediaPlayer::MediaStatus status);
    void mediaError(QMediaPlayer::Error error, const QString& text);
    void setIndex(int index);
    void releaseMedia();
    void fail(const QString& message);

    Output m_output = Output::Speakers;
    QNetworkAccessManager* m_network;
    QMediaDevices* m_devices;
    QPointer<QNetworkReply> m_reply;
    QMediaPlayer* m_media = nullptr; ///< Speakers only, created on first use
    QAudioOutput* m_audio = nullptr;
    std::unique_ptr<QTemporaryFile> m_file; ///< the current recording, as fetched
    QList<QUrl> m_queue;
    int m_index = -1;
    bool m_loading = false;
    bool m_wasAvailable = false;
    qint64 m_position = 0;
    qint64 m_duration = 0;
};

} // namespace voxtrack::gui
