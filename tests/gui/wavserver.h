// SPDX-License-Identifier: MIT
#pragma once

#include "core/wav.h"

#include <QHash>
#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>

#include <cmath>

namespace voxtrack::test {

/// A small HTTP server on a free loopback port answering GETs with what was put at each path:
/// recordings as voxtrackd serves them (audio/wav), anything else as given, 404 with a JSON error
/// for the rest. One request per connection.
class WavServer {
public:
    WavServer()
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket* socket = m_server.nextPendingConnection())
                serve(socket);
        });
        m_server.listen(QHostAddress::LocalHost, 0);
    }

    [[nodiscard]] bool isListening() const { return m_server.isListening(); }
    [[nodiscard]] QUrl url(const QString& path) const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_server.serverPort()).arg(path));
    }
    [[nodiscard]] int requests() const { return m_requests; }

    /// A recording of seconds of a quiet tone at 16 kHz.
    void putRecording(const QString& path, double seconds)
    {
        QByteArray pcm;
        const int frames = int(16000 * seconds);
        pcm.reserve(frames * 2);
        for (int i = 0; i < frames; ++i) {
            const auto sample = qint16(std::lround(800 * std::sin(2 * 3.14159265 * 440 * i / 16000.0)));
            pcm.append(char(sample & 0xff));
            pcm.append(char((sample >> 8) & 0xff));
        }
        put(path, wav::file(16000, pcm), "audio/wav");
    }
    void put(const QString& path, const QByteArray& body, const QByteArray& type)
    {
        m_files.insert(path, {body, type});
    }

private:
    struct File {
        QByteArray body;
        QByteArray type;
    };

    void serve(QTcpSocket* socket)
    {
        QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
            QByteArray& buffer = m_buffers[socket];
            buffer += socket->readAll();
            if (!buffer.contains("\r\n\r\n"))
                return;
            ++m_requests;
            const QList<QByteArray> request = buffer.left(buffer.indexOf("\r\n")).split(' ');
            m_buffers.remove(socket);
            const QString path = request.size() > 1 ? QString::fromLatin1(request.at(1)) : QString();
            const auto it = m_files.constFind(path);
            QByteArray status = "200 OK";
            File file;
            if (it == m_files.cend()) {
                status = "404 Not Found";
                file = {
                    QByteArrayLiteral("{\"error\":{\"code\":\"audio.not_found\",\"message\":\"No such recording.\"}}"),
                    "application/json"};
            } else {
                file = *it;
            }
            socket->write("HTTP/1.1 " + status + "\r\nContent-Type: " + file.type + "\r\nContent-Length: "
                + QByteArray::number(file.body.size()) + "\r\nConnection: close\r\n\r\n" + file.body);
            socket->disconnectFromHost();
        });
    }

    QTcpServer m_server;
    QHash<QString, File> m_files;
    QHash<QTcpSocket*, QByteArray> m_buffers;
    int m_requests = 0;
};

} // namespace voxtrack::test
