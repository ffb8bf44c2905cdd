// SPDX-License-Identifier: MIT
#include "client/voiceclient.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QNetworkRequest>
#include <QUrlQuery>

namespace voxtrack::client {

VoiceClient::VoiceClient(ClientOptions options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &VoiceClient::onText);
    m_frameTimer.setTimerType(Qt::PreciseTimer);
    m_frameTimer.setInterval(audioFrameMs / 2);
    connect(&m_frameTimer, &QTimer::timeout, this, [this] { sendFrames(false); });
    // A refused connection may report disconnected() or error() first: the first one tells.
    auto finish = [this] {
        if (m_closed)
            return;
        m_closed = true;
        if (m_ended) {
            // the normal end
        } else if (m_sessionId.isEmpty() && !m_errors.isEmpty()) {
            // refused with an error frame (auth, busy…): already reported
        } else if (m_sessionId.isEmpty()) {
            Q_EMIT failed({QStringLiteral("client.connect"),
                QCoreApplication::translate("voxtrack::client::VoiceClient",
                    "Could not connect to %1 (%2): check the server URL and that "
                    "the server runs.")
                    .arg(m_options.url.toString(), m_socket.errorString())});
        } else {
            const QString reason = m_socket.closeReason().isEmpty() ? m_socket.errorString() : m_socket.closeReason();
            Q_EMIT failed({QStringLiteral("client.closed"),
                QCoreApplication::translate("voxtrack::client::VoiceClient",
                    "The server closed the connection before the session ended "
                    "(code %1: %2).")
                    .arg(int(m_socket.closeCode()))
                    .arg(reason)});
        }
        Q_EMIT closed();
    };
    connect(&m_socket, &QWebSocket::disconnected, this, finish);
    connect(&m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
        [this, finish](QAbstractSocket::SocketError) {
            if (m_sessionId.isEmpty())
                finish();
        });
}

VoiceClient::~VoiceClient()
{
    m_frameTimer.stop();
    m_socket.disconnect(this);
    m_socket.abort();
}

void VoiceClient::open()
{
    QUrl url = m_options.url;
    QUrlQuery query(url);
    if (m_options.bearerToken.isEmpty() && !m_options.userId.isEmpty())
        query.addQueryItem(QStringLiteral("user_id"), m_options.userId);
    if (!m_options.sessionMetadata.isEmpty()) {
        query.addQueryItem(QStringLiteral("metadata"),
            QString::fromUtf8(QUrl::toPercentEncoding(
                QString::fromUtf8(QJsonDocument(m_options.sessionMetadata).toJson(QJsonDocument::Compact)))));
    }
    if (m_options.askPersisted)
        query.addQueryItem(QStringLiteral("persisted"), QStringLiteral("1"));
    url.setQuery(query);
    QNetworkRequest request(url);
    if (!m_options.bearerToken.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_options.bearerToken);
    m_clock.start();
    m_socket.open(request);
}

double Exchange::audioSeconds() const
{
    return double(audioBytes / 2) / audioSampleRate;
}

QString VoiceClient::say(const QString& text, Role role, const QJsonObject& metadata)
{
    Exchange exchange;
    exchange.id = QStringLiteral("m%1").arg(++m_nextId);
    exchange.text = text;
    exchange.role = role;
    exchange.metadata = metadata;
    exchange.sentAtUs = now();
    m_index.insert(exchange.id, m_exchanges.size());
    m_exchanges.append(exchange);
    m_outgoing.enqueue({exchange.id, {}, Pacing::Fast, false});
    sendNext();
    return exchange.id;
}

QString VoiceClient::speak(const QString& transcript, const QByteArray& pcm16k, Pacing pacing)
{
    Exchange exchange;
    exchange.id = QStringLiteral("m%1").arg(++m_nextId);
    exchange.text = transcript;
    exchange.role = Role::User;
    exchange.spoken = true;
    exchange.audioBytes = pcm16k.size();
    exchange.sentAtUs = now();
    m_index.insert(exchange.id, m_exchanges.size());
    m_exchanges.append(exchange);
    m_outgoing.enqueue({exchange.id, pcm16k, pacing, true});
    sendNext();
    return exchange.id;
}

void VoiceClient::sendNext()
{
    while (!m_speaking && !m_outgoing.isEmpty()) {
        Outgoing next = m_outgoing.dequeue();
        Exchange& exchange = m_exchanges[m_index.value(next.id)];
        if (!next.spoken) {
            exchange.sentAtUs = now();
            sendText(next.id);
            continue;
        }
        exchange.audioStartUs = now();
        const protocol::AudioStart start {next.id, QString(protocol::pcmS16le), audioSampleRate};
        m_socket.sendTextMessage(QString::fromUtf8(protocol::encode(protocol::ClientFrame(start))));
        m_speaking = std::move(next);
        m_speakingOffset = 0;
        m_speakingClock.start();
        if (m_speaking->pacing == Pacing::RealTime && !m_speaking->pcm.isEmpty()) {
            m_frameTimer.start();
            return;
        }
        sendFrames(true);
    }
}

void VoiceClient::sendText(const QString& id)
{
    const Exchange& exchange = m_exchanges.at(m_index.value(id));
    const protocol::UserMessage frame {exchange.id, exchange.text, exchange.metadata, exchange.role};
    m_socket.sendTextMessage(QString::fromUtf8(protocol::encode(protocol::ClientFrame(frame))));
}

void VoiceClient::sendFrames(bool all)
{
    if (!m_speaking)
        return;
    const QByteArray& pcm = m_speaking->pcm;
    // In real time, frame k (from 0) is complete, and sent, (k + 1) × 20 ms after audio.start.
    const qint64 due = all ? pcm.size() : m_speakingClock.elapsed() / audioFrameMs * audioFrameBytes;
    while (m_speakingOffset < pcm.size() && m_speakingOffset < due) {
        m_socket.sendBinaryMessage(pcm.mid(m_speakingOffset, audioFrameBytes));
        m_speakingOffset += audioFrameBytes;
    }
    if (m_speakingOffset < pcm.size())
        return;
    m_frameTimer.stop();
    const QString id = m_speaking->id;
    m_speaking.reset();
    Exchange& exchange = m_exchanges[m_index.value(id)];
    exchange.sentAtUs = now();
    const protocol::AudioEnd end {id, exchange.text};
    m_socket.sendTextMessage(QString::fromUtf8(protocol::encode(protocol::ClientFrame(end))));
    Q_EMIT spoken(id);
    sendNext();
}

void VoiceClient::end()
{
    m_socket.sendTextMessage(QString::fromUtf8(protocol::encode(protocol::ClientFrame(protocol::SessionEnd {}))));
}

void VoiceClient::abort()
{
    m_frameTimer.stop();
    m_socket.abort();
}

const Exchange* VoiceClient::exchange(const QString& id) const
{
    const auto at = m_index.constFind(id);
    return at == m_index.cend() ? nullptr : &m_exchanges.at(*at);
}

double VoiceClient::observedDurationSeconds() const
{
    if (m_connectUs < 0 || m_endedAtUs < 0)
        return -1;
    return double(m_endedAtUs - m_connectUs) / 1e6;
}

void VoiceClient::onText(const QString& text)
{
    const qint64 at = now();
    auto frame = protocol::parseServerFrame(QStringView(text));
    if (!frame) {
        Q_EMIT failed(frame.error());
        return;
    }
    std::visit(
        [&](const auto& f) {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, protocol::SessionStarted>) {
                m_sessionId = f.sessionId;
                m_userId = f.userId;
                m_startedAt = f.startedAt;
                m_connectUs = at;
                Q_EMIT started(m_sessionId);
            } else if constexpr (std::is_same_v<T, protocol::MessageAck>) {
                if (const auto i = m_index.constFind(f.id); i != m_index.cend()) {
                    Exchange& exchange = m_exchanges[*i];
                    if (exchange.ackUs < 0)
                        exchange.ackUs = at - exchange.sentAtUs;
                    exchange.seq = f.seq;
                    exchange.messageId = f.messageId;
                }
                Q_EMIT acked(f.id);
            } else if constexpr (std::is_same_v<T, protocol::MessagePersisted>) {
                if (const auto i = m_index.constFind(f.id); i != m_index.cend()) {
                    Exchange& exchange = m_exchanges[*i];
                    if (exchange.persistedUs < 0)
                        exchange.persistedUs = at - exchange.sentAtUs;
                }
                Q_EMIT persisted(f.id);
            } else if constexpr (std::is_same_v<T, protocol::AgentMessage>) {
                m_agentMessages.append(f);
                if (const auto i = m_index.constFind(f.replyTo); i != m_index.cend()) {
                    Exchange& exchange = m_exchanges[*i];
                    if (exchange.replyUs < 0) {
                        exchange.replyUs = at - exchange.sentAtUs;
                        exchange.reply = f.content;
                        exchange.replyId = f.id;
                        exchange.replySeq = f.seq;
                        exchange.replyAudioUrl = f.audioUrl;
                    }
                }
                Q_EMIT replied(f.replyTo, f.content);
            } else if constexpr (std::is_same_v<T, protocol::SessionEnded>) {
                m_ended = f;
                m_endedAtUs = at;
                Q_EMIT sessionEnded(f);
            } else {
                m_errors.append(f);
                if (const auto i = m_index.constFind(f.ref); i != m_index.cend())
                    m_exchanges[*i].error = f.code;
                Q_EMIT failed({f.code, f.message});
            }
        },
        *frame);
}

} // namespace voxtrack::client
