// SPDX-License-Identifier: MIT
#include "gui/callplayer.h"

#include "core/wav.h"

#include <QAudioDevice>
#include <QAudioOutput>
#include <QMediaDevices>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTemporaryFile>

#include <cmath>

namespace voxtrack::gui {

namespace {

constexpr int fetchTimeoutMs = 15'000;

QString shown(const QUrl& url)
{
    return url.toDisplayString();
}

} // namespace

CallPlayer::CallPlayer(QObject* parent)
    : QObject(parent)
    , m_network(new QNetworkAccessManager(this))
    , m_devices(new QMediaDevices(this))
{
    m_wasAvailable = isAvailable();
    connect(m_devices, &QMediaDevices::audioOutputsChanged, this, [this] {
        const bool available = isAvailable();
        if (m_audio)
            m_audio->setDevice(QMediaDevices::defaultAudioOutput());
        if (available == m_wasAvailable)
            return;
        m_wasAvailable = available;
        if (!available && isActive())
            fail(unavailableReason());
        Q_EMIT availabilityChanged(available);
    });
}

CallPlayer::~CallPlayer()
{
    if (m_reply) {
        QNetworkReply* reply = m_reply;
        m_reply = nullptr;
        reply->abort();
    }
    releaseMedia();
}

void CallPlayer::setOutput(Output output)
{
    if (output == m_output)
        return;
    stop();
    m_output = output;
    const bool available = isAvailable();
    if (available != m_wasAvailable) {
        m_wasAvailable = available;
        Q_EMIT availabilityChanged(available);
    }
}

bool CallPlayer::isAvailable() const
{
    return m_output == Output::Driven || !QMediaDevices::audioOutputs().isEmpty();
}

QString CallPlayer::unavailableReason() const
{
    if (isAvailable())
        return {};
    return tr("There is no audio output device: connect speakers or headphones to play recordings.");
}

QUrl CallPlayer::currentUrl() const
{
    return m_index >= 0 ? m_queue.at(m_index) : QUrl();
}

void CallPlayer::play(const QList<QUrl>& urls)
{
    stop();
    if (urls.isEmpty())
        return;
    if (!isAvailable()) {
        Q_EMIT errorOccurred(unavailableReason());
        return;
    }
    m_queue = urls;
    setIndex(0);
    startCurrent();
}

void CallPlayer::stop()
{
    if (m_reply) {
        QNetworkReply* reply = m_reply;
        m_reply = nullptr;
        reply->abort();
    }
    releaseMedia();
    m_queue.clear();
    m_loading = false;
    setIndex(-1);
}

void CallPlayer::next()
{
    if (m_index < 0)
        return;
    if (m_index + 1 >= m_queue.size()) {
        stop();
        Q_EMIT finished();
        return;
    }
    if (m_reply) {
        QNetworkReply* reply = m_reply;
        m_reply = nullptr;
        reply->abort();
    }
    releaseMedia();
    setIndex(m_index + 1);
    startCurrent();
}

void CallPlayer::finishCurrent()
{
    next();
}

void CallPlayer::failCurrent(const QString& reason)
{
    if (m_index < 0)
        return;
    fail(tr("The recording at %1 could not be played (%2): check the system's sound settings and try again.")
             .arg(shown(currentUrl()), reason));
}

void CallPlayer::setPosition(qint64 position)
{
    if (m_index < 0 || position == m_position)
        return;
    m_position = position;
    Q_EMIT positionChanged(m_position, m_duration);
}

void CallPlayer::setIndex(int index)
{
    m_position = 0;
    m_duration = 0;
    if (index == m_index && index < 0)
        return;
    m_index = index;
    Q_EMIT currentChanged(index, currentUrl());
}

void CallPlayer::startCurrent()
{
    m_loading = true;
    const QUrl url = currentUrl();
    if (!url.isValid() || url.isRelative()) {
        fail(tr("The message's audio_url \"%1\" is not a URL: it should be like http://host:port/audio/<id>.wav.")
                 .arg(url.toString()));
        return;
    }
    QNetworkRequest request(url);
    request.setTransferTimeout(fetchTimeoutMs);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    QNetworkReply* reply = m_network->get(request);
    m_reply = reply;
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        if (reply != m_reply)
            return; // left for another url, or stopped
        m_reply = nullptr;
        fetched(reply);
    });
}

void CallPlayer::fetched(QNetworkReply* reply)
{
    const QString where = shown(currentUrl());
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 404) {
        fail(tr("There is no recording at %1 (HTTP 404): check that the app is connected to the server that "
                "recorded this call.")
                 .arg(where));
        return;
    }
    if (reply->error() != QNetworkReply::NoError) {
        const QString reason = status > 0
            ? QStringLiteral("HTTP %1 %2")
                  .arg(status)
                  .arg(reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString())
                  .trimmed()
            : reply->errorString();
        fail(tr("The recording at %1 could not be fetched (%2): check that voxtrackd is running and try again.")
                 .arg(where, reason));
        return;
    }
    const QByteArray bytes = reply->readAll();
    const Expected<wav::Format> format = wav::parse(bytes);
    if (!format) {
        fail(tr("The recording at %1 is not a WAV file: check that the message's audio_url points at voxtrackd's "
                "/audio/ path.")
                 .arg(where));
        return;
    }
    m_loading = false;
    m_duration = qint64(std::llround(format->durationSeconds() * 1000.0));
    m_position = 0;
    if (m_output == Output::Speakers) {
        // The bytes were checked: play exactly those (a second download could differ or fail).
        m_file = std::make_unique<QTemporaryFile>(QStringLiteral("voxtrack-XXXXXX.wav"));
        if (!m_file->open() || m_file->write(bytes) != bytes.size() || !m_file->flush()) {
            fail(tr("The recording at %1 could not be kept for playing (%2): free some space in the temporary "
                    "directory and try again.")
                     .arg(where, m_file->errorString()));
            return;
        }
        if (!m_media) {
            m_media = new QMediaPlayer(this);
            m_audio = new QAudioOutput(QMediaDevices::defaultAudioOutput(), this);
            m_media->setAudioOutput(m_audio);
            connect(m_media, &QMediaPlayer::mediaStatusChanged, this, &CallPlayer::mediaStatusChanged);
            connect(m_media, &QMediaPlayer::errorOccurred, this, &CallPlayer::mediaError);
            connect(m_media, &QMediaPlayer::positionChanged, this, &CallPlayer::setPosition);
        }
        m_media->setSource(QUrl::fromLocalFile(m_file->fileName()));
        m_media->play();
    }
    Q_EMIT started(m_index, m_duration);
    Q_EMIT positionChanged(m_position, m_duration);
}

void CallPlayer::mediaStatusChanged(QMediaPlayer::MediaStatus status)
{
    if (status == QMediaPlayer::EndOfMedia && isPlaying())
        finishCurrent();
}

void CallPlayer::mediaError(QMediaPlayer::Error error, const QString& text)
{
    if (error == QMediaPlayer::NoError || !isPlaying())
        return;
    failCurrent(text.isEmpty() ? tr("error %1").arg(int(error)) : text);
}

void CallPlayer::releaseMedia()
{
    if (m_media) {
        m_media->stop();
        m_media->setSource({});
    }
    m_file.reset();
}

void CallPlayer::fail(const QString& message)
{
    stop();
    Q_EMIT errorOccurred(message);
}

} // namespace voxtrack::gui
