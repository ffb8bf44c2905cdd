// SPDX-License-Identifier: MIT
#include "tracker/seeder.h"

#include "core/records.h"
#include "store/connection.h"
#include "store/schema.h"
#include "tracker/pgcopy.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSqlQuery>
#include <QVarLengthArray>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <memory>
#include <numbers>
#include <random>
#include <vector>

namespace voxtrack::tracker {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("voxtrack::tracker::Seeder", text);
}

constexpr qint64 secondMs = 1000;
constexpr qint64 minuteMs = 60 * secondMs;
constexpr qint64 hourMs = 60 * minuteMs;
constexpr qint64 dayMs = 24 * hourMs;

// ---------------------------------------------------------------- randomness

/// SplitMix64: spreads seeds, and numbers every UUID of a run (a bijection of its counter, so
/// no two draws of one run are equal).
quint64 splitMix(quint64& state)
{
    quint64 z = (state += 0x9E37'79B9'7F4A'7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58'476D'1CE4'E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D0'49BB'1331'11EBULL;
    return z ^ (z >> 31);
}

/// xoshiro256**: one independent stream per session, per user and per purpose, so the content of
/// a session depends only on the seed and its number, not on how the run is cut into chunks.
class Random {
public:
    Random(quint64 seed, quint64 stream, quint64 index)
    {
        quint64 state = seed ^ (stream * 0xD1B5'4A32'D192'ED03ULL) ^ (index * 0x9E37'79B9'7F4A'7C15ULL);
        for (quint64& word : m_state)
            word = splitMix(state);
    }

    quint64 next()
    {
        const quint64 result = rotl(m_state[1] * 5, 7) * 9;
        const quint64 t = m_state[1] << 17;
        m_state[2] ^= m_state[0];
        m_state[3] ^= m_state[1];
        m_state[1] ^= m_state[2];
        m_state[0] ^= m_state[3];
        m_state[2] ^= t;
        m_state[3] = rotl(m_state[3], 45);
        return result;
    }
    /// [0, 1)
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }
    /// [0, n)
    int below(int n) { return int(((next() >> 32) * quint64(n)) >> 32); }
    /// [low, high]
    qint64 between(qint64 low, qint64 high) { return low + qint64(uniform() * double(high - low + 1)); }
    bool chance(double p) { return uniform() < p; }
    double normal()
    {
        const double u = 1.0 - uniform(); // (0, 1]
        return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * uniform());
    }
    /// Long-tailed: half the draws below median, a few far above.
    double logNormal(double median, double sigma) { return median * std::exp(sigma * normal()); }
    template <typename T, std::size_t N> const T& pick(const T (&items)[N]) { return items[below(int(N))]; }

private:
    static quint64 rotl(quint64 x, int k) { return (x << k) | (x >> (64 - k)); }
    quint64 m_state[4];
};

enum Stream : quint64 { SessionStream = 1, MessageStream = 2, UserStream = 3 };

/// A UUID's 36 characters, held without allocating.
struct UuidText {
    char text[36];
    [[nodiscard]] QByteArrayView view() const { return {text, 36}; }
};

/// Version 7 UUIDs (RFC 9562): the row's time in milliseconds first, so keys written together
/// sit together in the unique indexes, then 74 bits drawn from a generator seeded afresh every
/// run, so two runs of one seed never share an id.
class UuidMaker {
public:
    UuidMaker()
    {
        std::random_device device;
        m_state = (quint64(device()) << 32) ^ quint64(device())
            ^ quint64(QDateTime::currentMSecsSinceEpoch()) * 0x2545'F491'4F6C'DD1DULL;
    }

    UuidText make(qint64 msecs)
    {
        const quint64 unique = splitMix(m_state); // never repeats within a run: all 64 bits are kept
        const quint64 extra = splitMix(m_state);
        const auto time = quint64(msecs) & 0xFFFF'FFFF'FFFFULL;
        quint8 bytes[16];
        for (int i = 0; i < 6; ++i)
            bytes[i] = quint8(time >> (40 - 8 * i));
        bytes[6] = quint8(0x70 | (unique >> 60));
        bytes[7] = quint8(unique >> 52);
        bytes[8] = quint8(0x80 | ((extra >> 58) & 0x3F));
        const quint64 tail = (((extra >> 54) & 0xF) << 52) | (unique & 0xF'FFFF'FFFF'FFFFULL);
        for (int i = 0; i < 7; ++i)
            bytes[9 + i] = quint8(tail >> (48 - 8 * i));
        static constexpr char hex[] = "0123456789abcdef";
        UuidText out;
        int at = 0;
        for (int i = 0; i < 16; ++i) {
            if (i == 4 || i == 6 || i == 8 || i == 10)
                out.text[at++] = '-';
            out.text[at++] = hex[bytes[i] >> 4];
            out.text[at++] = hex[bytes[i] & 0xF];
        }
        return out;
    }

private:
    quint64 m_state;
};

// ---------------------------------------------------------------- text

/// Replaces {0} … {9} in pattern with args.
void fill(QByteArray& out, const char* pattern, std::initializer_list<QByteArrayView> args)
{
    out.resize(0);
    for (const char* p = pattern; *p; ++p) {
        if (p[0] == '{' && p[1] >= '0' && p[1] <= '9' && p[2] == '}') {
            const auto index = std::size_t(p[1] - '0');
            if (index < args.size())
                out.append(args.begin()[index]);
            p += 2;
        } else {
            out.append(*p);
        }
    }
}

QByteArray number(qint64 value)
{
    return QByteArray::number(value);
}

QByteArray decimal(double value, int places)
{
    return QByteArray::number(value, 'f', places);
}

/// 1204.5 → "1,204.50"
QByteArray money(double value)
{
    QByteArray text = decimal(value, 2);
    for (qsizetype at = text.indexOf('.') - 3; at > 0; at -= 3)
        text.insert(at, ',');
    return text;
}

/// Minutes after midnight → "7:30 pm", "12 pm".
QByteArray clockTime(int minutes)
{
    const int hour = (minutes / 60) % 24;
    const int minute = minutes % 60;
    const int twelve = hour % 12 == 0 ? 12 : hour % 12;
    QByteArray text = number(twelve);
    if (minute != 0) {
        text += ':';
        if (minute < 10)
            text += '0';
        text += number(minute);
    }
    text += hour < 12 ? " am" : " pm";
    return text;
}

enum class Channel { Phone, Web, App };
constexpr const char* channelNames[] = {"phone", "web", "app"};
constexpr const char* locales[] = {"en-US", "en-GB", "en-CA", "en-AU", "en-IN", "en-IE"};
constexpr int localeWeights[] = {55, 15, 8, 8, 9, 5};

constexpr const char* systemPrompts[] = {
    "You are a voice assistant for market data, weather and bookings. Answer briefly.",
    "You are a helpful voice assistant. Keep answers short and speak in plain language.",
    "You are a friendly phone assistant. Confirm every booking with a code and answer in one or two sentences.",
};

struct Company {
    const char* name;
    const char* ticker;
    double price;
};
constexpr Company companies[] = {
    {"Tesla", "TSLA", 251.30},
    {"Apple", "AAPL", 189.25},
    {"Microsoft", "MSFT", 415.10},
    {"Nvidia", "NVDA", 121.40},
    {"Amazon", "AMZN", 178.60},
    {"Alphabet", "GOOGL", 163.75},
    {"Meta", "META", 497.80},
    {"Netflix", "NFLX", 628.90},
    {"AMD", "AMD", 158.20},
    {"Intel", "INTC", 31.45},
    {"Coca-Cola", "KO", 62.15},
    {"Disney", "DIS", 101.30},
    {"Visa", "V", 274.50},
    {"Boeing", "BA", 182.70},
};
constexpr const char* unknownCompanies[] = {"Acme Robotics", "Blue Harbor Foods", "Zentrix", "Northwind Traders"};

constexpr const char* cities[] = {"London", "New York", "Chicago", "Toronto", "Sydney", "Dublin", "Mumbai", "Seattle",
    "Austin", "Boston", "Denver", "Manchester", "Melbourne", "Vancouver", "San Francisco", "Miami"};
constexpr const char* conditions[]
    = {"sunny", "partly cloudy", "cloudy", "clear", "windy", "foggy", "overcast", "drizzling", "raining", "snowing"};
constexpr const char* restaurants[] = {"Luigi's", "The Green Fork", "Sakura Sushi", "Bistro 22", "The Golden Dragon",
    "Casa Lola", "Harbor Grill", "Spice Route"};
constexpr const char* days[] = {"tonight", "tomorrow", "on Friday", "on Saturday", "on Sunday", "next Tuesday"};
constexpr const char* services[] = {"a haircut", "a dentist appointment", "a car service", "a doctor's appointment"};
constexpr const char* tasks[] = {"call Mom", "pick up the kids", "take my medicine", "pay the electricity bill",
    "water the plants", "renew my passport", "buy milk"};
constexpr const char* airlines[] = {"BA", "UA", "AA", "DL", "AC", "QF", "EI"};

enum class Topic { Price, Weather, Booking, Appointment, Reminder, Timer, Order, Balance, Flight, Clock, Count };

/// One exchange at a time: what the user says, how sure the speech recognition was, and the
/// agent's answer. Keeps what a follow-up needs (an offer to accept, the last answer to repeat).
class Conversation {
public:
    Conversation(Random& random, Channel channel, bool fahrenheit)
        : m_random(random)
        , m_channel(channel)
        , m_fahrenheit(fahrenheit)
        , m_favourite(Topic(random.below(int(Topic::Count))))
    {
    }

    /// Exchange `turn` of `turns`; unanswered when the session ends before the agent replies.
    void next(int turn, int turns, bool unanswered, QByteArray& user, QByteArray& agent, double& confidence)
    {
        confidence = recognised();
        const bool afterTopic = m_afterTopic;
        m_afterTopic = false;
        if (unanswered && m_random.chance(0.85)) {
            hangUp(user);
        } else if (turn == 0 && turns >= 2 && m_random.chance(0.65)) {
            greeting(user, agent);
        } else if (turn == turns - 1 && turns >= 2 && m_random.chance(0.75)) {
            goodbye(user, agent);
        } else if (!m_offer.isEmpty()) {
            answerOffer(user, agent);
        } else if (afterTopic && m_random.chance(0.04)) {
            repeat(user, agent);
        } else if (m_random.chance(0.035)) {
            unclear(user, agent, confidence);
        } else if (turn > 0 && m_random.chance(0.05)) {
            thanks(user, agent);
        } else {
            topic(m_random.chance(0.55) ? m_favourite : Topic(m_random.below(int(Topic::Count))), user, agent);
            m_afterTopic = true;
            m_lastAnswer = agent;
        }
    }

private:
    double recognised()
    {
        const double mean = m_channel == Channel::Phone ? 0.9 : 0.94;
        return std::clamp(mean + 0.035 * m_random.normal(), 0.7, 0.99);
    }

    void greeting(QByteArray& user, QByteArray& agent)
    {
        static constexpr const char* users[] = {"Hi there.", "Hello!", "Hey, are you there?", "Good morning.",
            "Good afternoon.", "Good evening.", "Hi, I need some help.", "Hello, can you hear me?"};
        static constexpr const char* agents[] = {"Hi! How can I help you today?", "Hello! What can I do for you?",
            "Yes, I'm here. What do you need?", "Hi there! I can help with prices, weather, bookings and more."};
        fill(user, m_random.pick(users), {});
        fill(agent, m_random.pick(agents), {});
    }

    void goodbye(QByteArray& user, QByteArray& agent)
    {
        static constexpr const char* users[] = {"That's all, thanks.", "Bye!", "Thanks, goodbye.", "Nothing else, bye.",
            "Great, that's everything.", "Perfect, thank you. Bye."};
        static constexpr const char* agents[] = {"Goodbye, have a good day!", "You're welcome. Bye for now!",
            "Glad I could help. Goodbye!", "Take care, goodbye!"};
        fill(user, m_random.pick(users), {});
        fill(agent, m_random.pick(agents), {});
    }

    /// The last words of a caller who hangs up without waiting for an answer.
    void hangUp(QByteArray& user)
    {
        static constexpr const char* users[] = {"OK, bye.", "Thanks, bye!", "That's all, bye.", "Never mind, bye."};
        fill(user, m_random.pick(users), {});
    }

    void thanks(QByteArray& user, QByteArray& agent)
    {
        static constexpr const char* users[] = {"Thanks.", "Great, thank you.", "OK, thanks a lot."};
        static constexpr const char* agents[] = {"You're welcome! Anything else?", "Happy to help. Anything else?",
            "No problem. What else can I do for you?"};
        fill(user, m_random.pick(users), {});
        fill(agent, m_random.pick(agents), {});
    }

    void repeat(QByteArray& user, QByteArray& agent)
    {
        static constexpr const char* users[]
            = {"Sorry, can you repeat that?", "What was that again?", "Say that again, please."};
        fill(user, m_random.pick(users), {});
        fill(agent, "Of course. {0}", {m_lastAnswer});
    }

    void unclear(QByteArray& user, QByteArray& agent, double& confidence)
    {
        static constexpr const char* users[] = {
            "Um, the thing from before.", "Can you, uh, check the.", "Yeah so what about the", "Hmm, never mind that."};
        static constexpr const char* agents[] = {"Sorry, I didn't catch that. Could you say it again?",
            "I'm not sure I understood. Could you rephrase that?"};
        fill(user, m_random.pick(users), {});
        fill(agent, m_random.pick(agents), {});
        confidence = 0.7 + 0.08 * m_random.uniform();
    }

    void answerOffer(QByteArray& user, QByteArray& agent)
    {
        if (m_random.chance(0.75)) {
            static constexpr const char* users[] = {"Yes, please.", "Sure, book that.", "OK, that works."};
            fill(user, m_random.pick(users), {});
            fill(agent, "Booked: {0}. Your confirmation code is {1}.", {m_offer, code()});
        } else {
            static constexpr const char* users[] = {"No thanks, that's too late.", "No, leave it."};
            fill(user, m_random.pick(users), {});
            fill(agent, "OK, I haven't booked anything. Anything else?", {});
        }
        m_offer.resize(0);
    }

    QByteArray code()
    {
        static constexpr char letters[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        QByteArray text(6, Qt::Uninitialized);
        for (char& c : text)
            c = letters[m_random.below(int(sizeof letters - 1))];
        return text;
    }

    QByteArray temperature(int celsius)
    {
        static constexpr char degrees[] = "\xC2\xB0"; // "°" in UTF-8
        return m_fahrenheit ? number(qRound(celsius * 9.0 / 5.0 + 32)) + degrees + 'F'
                            : number(celsius) + degrees + 'C';
    }

    void topic(Topic which, QByteArray& user, QByteArray& agent)
    {
        switch (which) {
        case Topic::Price:
            return price(user, agent);
        case Topic::Weather:
            return weather(user, agent);
        case Topic::Booking:
            return booking(user, agent);
        case Topic::Appointment:
            return appointment(user, agent);
        case Topic::Reminder:
            return reminder(user, agent);
        case Topic::Timer:
            return timer(user, agent);
        case Topic::Order:
            return order(user, agent);
        case Topic::Balance:
            return balance(user, agent);
        case Topic::Flight:
            return flight(user, agent);
        case Topic::Clock:
        case Topic::Count:
            return clock(user, agent);
        }
    }

    void price(QByteArray& user, QByteArray& agent)
    {
        if (m_random.chance(0.05)) {
            const char* name = m_random.pick(unknownCompanies);
            fill(user, "What's the price of {0}?", {name});
            fill(agent, "Sorry, I have no price for {0}. I know the large US stocks, like Tesla, Apple and Nvidia.",
                {name});
            return;
        }
        const Company& company = m_random.pick(companies);
        const double change = 2.2 * m_random.normal();
        const QByteArray value = money(company.price * (1.0 + 0.04 * m_random.normal()));
        const QByteArray percent = decimal(std::abs(change), 1);
        const char* direction = change >= 0 ? "up" : "down";
        static constexpr const char* users[] = {"What's the price of {0}?", "How is {0} doing today?",
            "Give me a quote for {1}.", "What's {0} trading at right now?", "How much is {0} stock?",
            "Check {1} for me.", "What did {0} close at yesterday?"};
        const int asked = m_random.below(int(std::size(users)));
        fill(user, users[asked], {company.name, company.ticker});
        if (asked == 6) {
            fill(
                agent, "{0} closed at ${1} yesterday, {2} {3}% on the day.", {company.name, value, direction, percent});
            return;
        }
        static constexpr const char* agents[]
            = {"The latest price for {0} is ${2}.", "{0} is trading at ${2}, {3} {4}% today.",
                "{1} last traded at ${2}, {3} {4}% since the open.", "Right now {0} is at ${2}."};
        fill(agent, m_random.pick(agents), {company.name, company.ticker, value, direction, percent});
    }

    void weather(QByteArray& user, QByteArray& agent)
    {
        const char* city = m_random.pick(cities);
        const char* condition = m_random.pick(conditions);
        const int celsius = int(std::lround(16 + 8 * m_random.normal()));
        const QByteArray now = temperature(celsius);
        const QByteArray high = temperature(celsius + int(m_random.between(2, 6)));
        const QByteArray low = temperature(celsius - int(m_random.between(3, 9)));
        const qint64 rain = m_random.between(0, 20) * 5;
        const QByteArray rainText = number(rain);
        switch (m_random.below(4)) {
        case 0:
            fill(user, m_random.chance(0.5) ? "What's the weather like in {0}?" : "How warm is it in {0} right now?",
                {city});
            fill(agent,
                m_random.chance(0.5) ? "In {0} it's {1} and {2} right now." : "It's {1} in {0} at the moment, {2}.",
                {city, now, condition});
            break;
        case 1:
            fill(user, m_random.chance(0.5) ? "Will it rain in {0} tomorrow?" : "What's the forecast for {0} tomorrow?",
                {city});
            fill(agent, "Tomorrow in {0}: {1}, a high of {2} and a low of {3}, with a {4}% chance of rain.",
                {city, condition, high, low, rainText});
            break;
        case 2:
            fill(user, "Do I need an umbrella in {0} today?", {city});
            fill(agent,
                rain >= 50 ? "Yes, take an umbrella: {0} has a {1}% chance of rain this afternoon."
                           : "No umbrella needed: {0} has only a {1}% chance of rain today.",
                {city, rainText});
            break;
        default:
            fill(user, "What's the weather this weekend in {0}?", {city});
            fill(agent, "This weekend {0} looks {1}, with highs around {2}.", {city, condition, high});
        }
    }

    void booking(QByteArray& user, QByteArray& agent)
    {
        const char* place = m_random.pick(restaurants);
        const char* day = m_random.pick(days);
        const QByteArray people = number(m_random.between(2, 8));
        const int minutes = 17 * 60 + int(m_random.between(0, 20)) * 15; // 5 pm to 10 pm
        const QByteArray time = clockTime(minutes);
        static constexpr const char* users[] = {"Book a table for {0} at {1} {2} at {3}.",
            "Can you reserve a table for {0} people at {1} {2}, around {3}?",
            "I'd like a table for {0} at {1} {2}, {3} if possible."};
        fill(user, m_random.pick(users), {people, place, day, time});
        if (m_random.chance(0.3)) {
            const QByteArray later = clockTime(minutes + 45);
            fill(m_offer, "a table for {0} at {1} {2} at {3}", {people, place, day, later});
            fill(agent, "{0} is full at {1}, but I can get you {2} instead. Shall I book that?", {place, time, later});
            return;
        }
        fill(agent, "Done: a table for {0} at {1} {2} at {3}. Your confirmation code is {4}.",
            {people, place, day, time, code()});
    }

    void appointment(QByteArray& user, QByteArray& agent)
    {
        const char* service = m_random.pick(services);
        const char* day = days[1 + m_random.below(int(std::size(days)) - 1)]; // not "tonight"
        const QByteArray time = clockTime(int(m_random.between(16, 34)) * 30);
        fill(user, m_random.chance(0.5) ? "I need {0} {1}." : "Can you book {0} for me {1}?", {service, day});
        fill(agent, "You're booked for {0} {1} at {2}. I'll send a reminder an hour before.", {service, day, time});
    }

    void reminder(QByteArray& user, QByteArray& agent)
    {
        const char* task = m_random.pick(tasks);
        const QByteArray time = clockTime(int(m_random.between(14, 44)) * 30);
        fill(user, m_random.chance(0.5) ? "Remind me to {0} at {1}." : "Set a reminder at {1} to {0}.", {task, time});
        fill(agent, m_random.chance(0.5) ? "OK, I'll remind you to {0} at {1}." : "Reminder set for {1}: {0}.",
            {task, time});
    }

    void timer(QByteArray& user, QByteArray& agent)
    {
        static constexpr int lengths[] = {1, 2, 3, 5, 8, 10, 12, 15, 20, 25, 30, 45};
        const int minutes = m_random.pick(lengths);
        const QByteArray text = number(minutes);
        fill(user, minutes == 1 ? "Set a timer for one minute." : "Set a timer for {0} minutes.", {text});
        fill(agent,
            minutes == 1 ? "Timer set for one minute, starting now." : "Timer set for {0} minutes, starting now.",
            {text});
    }

    void order(QByteArray& user, QByteArray& agent)
    {
        const QByteArray id = number(m_random.between(10'000, 99'999));
        fill(user, m_random.chance(0.5) ? "Where is my order {0}?" : "Can you track order number {0}?", {id});
        if (m_random.chance(0.6)) {
            fill(agent, "Order {0} is out for delivery and should arrive by {1}.",
                {id, clockTime(int(m_random.between(24, 40)) * 30)});
        } else {
            fill(agent, "Order {0} shipped yesterday; delivery is expected {1}.",
                {id, days[1 + m_random.below(int(std::size(days)) - 1)]});
        }
    }

    void balance(QByteArray& user, QByteArray& agent)
    {
        if (m_random.chance(0.5)) {
            fill(user, "What's my account balance?", {});
            fill(agent, "Your checking account balance is ${0}.", {money(m_random.logNormal(2400, 0.9))});
        } else {
            static constexpr const char* categories[] = {"groceries", "restaurants", "fuel", "travel", "subscriptions"};
            const char* category = m_random.pick(categories);
            fill(user, "How much did I spend on {0} this month?", {category});
            fill(agent, "You've spent ${0} on {1} so far this month.", {money(m_random.logNormal(180, 0.7)), category});
        }
    }

    void flight(QByteArray& user, QByteArray& agent)
    {
        const char* city = m_random.pick(cities);
        const QByteArray code = QByteArray(m_random.pick(airlines)) + number(m_random.between(100, 2999));
        const QByteArray time = clockTime(int(m_random.between(12, 46)) * 30);
        fill(user, m_random.chance(0.5) ? "Is my flight to {0} on time?" : "Any news on flight {1}?", {city, code});
        if (m_random.chance(0.7)) {
            fill(agent, "Flight {0} to {1} is on time, departing at {2} from gate {3}.",
                {code, city, time,
                    QByteArray(QByteArray(1, char('A' + m_random.below(6))) + number(m_random.between(1, 40)))});
        } else {
            fill(agent, "Flight {0} to {1} is delayed by {2} minutes; the new departure time is {3}.",
                {code, city, number(m_random.between(2, 18) * 5), time});
        }
    }

    void clock(QByteArray& user, QByteArray& agent)
    {
        const char* city = m_random.pick(cities);
        fill(user, "What time is it in {0}?", {city});
        fill(agent, "It's {0} in {1}.", {clockTime(int(m_random.between(0, 24 * 60 - 1))), city});
    }

    Random& m_random;
    Channel m_channel;
    bool m_fahrenheit;
    Topic m_favourite;
    QByteArray m_offer; ///< what the agent offered to book, until the user answers
    QByteArray m_lastAnswer; ///< the last answer on a topic, for "say that again"
    bool m_afterTopic = false;
};

// ---------------------------------------------------------------- rows

struct SessionRow {
    QByteArrayView sessionId;
    QByteArrayView userId;
    qint64 startMs = 0;
    qint64 endMs = -1; ///< -1 while open
    QByteArrayView metadata;
    int messageCount = 0;
    const char* endReason = nullptr;
};

struct MessageRow {
    QByteArrayView sessionId;
    QByteArrayView userId;
    Role role = Role::User;
    QByteArrayView content;
    QByteArrayView audioUrl; ///< empty: NULL
    QByteArrayView metadata; ///< empty: NULL
    qint64 createdMs = 0;
    QByteArrayView messageId;
    int seq = 0;
};

/// The database spelling of a role, as roleName() gives it, without allocating.
const char* roleText(Role role)
{
    switch (role) {
    case Role::User:
        return "user";
    case Role::Agent:
        return "agent";
    case Role::System:
        return "system";
    }
    return "user";
}

/// "123.456" seconds from milliseconds, exactly.
QByteArray secondsText(qint64 ms)
{
    QByteArray text = number(ms / 1000);
    const int fraction = int(ms % 1000);
    text += '.';
    text += char('0' + fraction / 100);
    text += char('0' + fraction / 10 % 10);
    text += char('0' + fraction % 10);
    return text;
}

/// Where the rows go: one transaction, sessions of a chunk first, then their messages.
class Sink {
public:
    virtual ~Sink() = default;
    virtual Status begin() = 0;
    virtual Status beginSessions() = 0;
    virtual Status addSession(const SessionRow& row) = 0;
    virtual Status endSessions() = 0;
    virtual Status beginMessages() = 0;
    virtual Status addMessage(const MessageRow& row) = 0;
    virtual Status endMessages() = 0;
    virtual Status commit() = 0;
    /// Discards everything since begin(); safe to call at any point.
    virtual void rollback() = 0;
};

class PostgresSink final : public Sink {
public:
    explicit PostgresSink(pg_conn* connection)
        : m_pg(connection)
        , m_sessions(connection, "copy sessions")
        , m_messages(connection, "copy messages")
    {
    }

    Status begin() override { return pg::exec(m_pg, "BEGIN"); }

    Status beginSessions() override
    {
        return m_sessions.begin("COPY conversation_sessions (session_id, user_id, session_start, started_at, "
                                "session_end, ended_at, duration_seconds, is_active, metadata, message_count, "
                                "end_reason) FROM STDIN");
    }

    Status addSession(const SessionRow& row) override
    {
        const pg::TimeText start(row.startMs, pg::TimeText::Style::Postgres);
        m_sessions.field(row.sessionId);
        m_sessions.field(row.userId);
        m_sessions.plainField(start.view());
        m_sessions.plainField(start.view());
        if (row.endMs >= 0) {
            const pg::TimeText end(row.endMs, pg::TimeText::Style::Postgres);
            m_sessions.plainField(end.view());
            m_sessions.plainField(end.view());
            m_sessions.plainField(secondsText(row.endMs - row.startMs));
            m_sessions.plainField("f");
        } else {
            m_sessions.null();
            m_sessions.null();
            m_sessions.null();
            m_sessions.plainField("t");
        }
        m_sessions.field(row.metadata);
        m_sessions.plainField(number(row.messageCount));
        if (row.endReason)
            m_sessions.plainField(row.endReason);
        else
            m_sessions.null();
        m_sessions.endRow();
        return m_sessions.sendIfFull();
    }

    Status endSessions() override { return m_sessions.finish(); }

    Status beginMessages() override
    {
        return m_messages.begin("COPY conversation_messages (session_id, user_id, role, content, audio_url, "
                                "metadata, created_at, message_id, seq) FROM STDIN");
    }

    Status addMessage(const MessageRow& row) override
    {
        m_messages.field(row.sessionId);
        m_messages.field(row.userId);
        m_messages.plainField(roleText(row.role));
        m_messages.field(row.content);
        if (row.audioUrl.isEmpty())
            m_messages.null();
        else
            m_messages.field(row.audioUrl);
        if (row.metadata.isEmpty())
            m_messages.null();
        else
            m_messages.field(row.metadata);
        m_messages.plainField(pg::TimeText(row.createdMs, pg::TimeText::Style::Postgres).view());
        m_messages.plainField(row.messageId);
        m_messages.plainField(number(row.seq));
        m_messages.endRow();
        return m_messages.sendIfFull();
    }

    Status endMessages() override { return m_messages.finish(); }

    Status commit() override { return pg::exec(m_pg, "COMMIT"); }

    void rollback() override
    {
        m_sessions.abort("seeding stopped");
        m_messages.abort("seeding stopped");
        pg::rollbackOpenTransaction(m_pg);
    }

private:
    pg_conn* m_pg;
    pg::CopyIn m_sessions;
    pg::CopyIn m_messages;
};

/// Multi-row INSERTs of up to rowsPerStatement rows, prepared once per row count.
class SqliteInsert {
public:
    SqliteInsert(store::Connection& connection, const char* head, int columns)
        : m_head(QLatin1String(head))
        , m_columns(columns)
        , m_rowsPerStatement(std::max(1, 999 / columns))
        , m_full(connection.database())
        , m_rest(connection.database())
    {
        m_values.reserve(qsizetype(m_rowsPerStatement) * m_columns);
    }

    Status add(std::initializer_list<QVariant> row)
    {
        for (const QVariant& value : row)
            m_values.append(value);
        return m_values.size() >= qsizetype(m_rowsPerStatement) * m_columns ? flush() : Status {};
    }

    Status flush()
    {
        const int rows = int(m_values.size() / m_columns);
        if (rows == 0)
            return {};
        QSqlQuery& query = rows == m_rowsPerStatement ? m_full : m_rest;
        if (rows != m_preparedRows[&query == &m_full ? 0 : 1]) {
            const QString sql = statement(rows);
            if (!query.prepare(sql))
                return store::queryError(query, sql);
            m_preparedRows[&query == &m_full ? 0 : 1] = rows;
        }
        for (qsizetype i = 0; i < m_values.size(); ++i)
            query.bindValue(int(i), m_values.at(i));
        m_values.resize(0);
        if (!query.exec())
            return store::queryError(query, query.lastQuery());
        return {};
    }

private:
    QString statement(int rows) const
    {
        QString group = QStringLiteral("(?");
        for (int c = 1; c < m_columns; ++c)
            group += QStringLiteral(",?");
        group += u')';
        QString sql = m_head + QStringLiteral(" VALUES ");
        for (int r = 0; r < rows; ++r) {
            if (r > 0)
                sql += u',';
            sql += group;
        }
        return sql;
    }

    QString m_head;
    int m_columns;
    int m_rowsPerStatement;
    QSqlQuery m_full;
    QSqlQuery m_rest;
    int m_preparedRows[2] = {0, 0};
    QVariantList m_values;
};

class SqliteSink final : public Sink {
public:
    explicit SqliteSink(store::Connection& connection)
        : m_connection(connection)
        , m_sessions(connection,
              "INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, session_end, "
              "ended_at, duration_seconds, is_active, metadata, message_count, end_reason)",
              11)
        , m_messages(connection,
              "INSERT INTO conversation_messages (session_id, user_id, role, content, audio_url, metadata, "
              "created_at, message_id, seq)",
              9)
    {
    }

    Status begin() override { return m_connection.beginTransaction(); }

    Status beginSessions() override { return {}; }

    Status addSession(const SessionRow& row) override
    {
        const QVariant start = time(row.startMs);
        const bool open = row.endMs < 0;
        const QVariant end = open ? m_null : time(row.endMs);
        return m_sessions.add({QString::fromLatin1(row.sessionId), QString::fromUtf8(row.userId), start, start, end,
            end, open ? QVariant(QMetaType(QMetaType::Double)) : QVariant(double(row.endMs - row.startMs) / 1000.0),
            open ? 1 : 0, QString::fromUtf8(row.metadata), row.messageCount,
            row.endReason ? QVariant(QString::fromLatin1(row.endReason)) : m_null});
    }

    Status endSessions() override { return m_sessions.flush(); }
    Status beginMessages() override { return {}; }

    Status addMessage(const MessageRow& row) override
    {
        return m_messages.add({QString::fromLatin1(row.sessionId), QString::fromUtf8(row.userId),
            QString::fromLatin1(roleText(row.role)), QString::fromUtf8(row.content),
            row.audioUrl.isEmpty() ? m_null : QVariant(QString::fromUtf8(row.audioUrl)),
            row.metadata.isEmpty() ? m_null : QVariant(QString::fromUtf8(row.metadata)), time(row.createdMs),
            QString::fromLatin1(row.messageId), row.seq});
    }

    Status endMessages() override { return m_messages.flush(); }
    Status commit() override { return m_connection.commit(); }
    void rollback() override { m_connection.rollback(); }

private:
    static QVariant time(qint64 ms)
    {
        const pg::TimeText text(ms, pg::TimeText::Style::Iso);
        return QString::fromLatin1(text.text, text.size);
    }

    store::Connection& m_connection;
    SqliteInsert m_sessions;
    SqliteInsert m_messages;
    const QVariant m_null {QMetaType(QMetaType::QString)};
};

// ---------------------------------------------------------------- the plan of a session

constexpr qint64 minimumDurationMs = 10 * secondMs;
constexpr qint64 maximumDurationMs = 30 * minuteMs;
constexpr qint64 idleTimeoutMs = 45 * secondMs; ///< voxtrackd's default --idle-timeout
constexpr qint64 openWindowMs = hourMs - minuteMs; ///< open sessions start within this, back from now

/// The times of a session's messages, drawn from its message stream before any text: the
/// system prompt's delay, each agent reply's latency and the weight of each pause before a
/// user message. The plan draws them once to know the shortest span they fit in; the writer
/// draws them again from the same stream and places them.
struct Pacing {
    qint64 systemDelayMs = 0;
    QVarLengthArray<qint64, 512> latencyMs; ///< one per agent message
    QVarLengthArray<double, 512> pauseWeight; ///< one per user message
    double weightSum = 0;

    static constexpr qint64 firstPauseMs = 800; ///< before the first user message: the greeting
    static constexpr qint64 pauseMs = 500; ///< at least, before every later one

    void draw(Random& random, int messages)
    {
        latencyMs.resize(0);
        pauseWeight.resize(0);
        weightSum = 0;
        if (messages <= 0)
            return;
        systemDelayMs = random.between(2, 60);
        const int users = messages / 2; // seq 2, 4, …
        const int agents = (messages - 1) / 2; // seq 3, 5, …
        for (int i = 0; i < agents; ++i)
            latencyMs.append(std::clamp<qint64>(qint64(random.logNormal(420, 0.55)), 150, 1500));
        for (int i = 0; i < users; ++i) {
            pauseWeight.append(random.logNormal(1.0, 0.6));
            weightSum += pauseWeight.back();
        }
    }

    /// The shortest span from the session's start to its last message.
    [[nodiscard]] qint64 shortestSpanMs() const
    {
        qint64 total = systemDelayMs;
        for (const qint64 latency : latencyMs)
            total += latency;
        if (!pauseWeight.isEmpty())
            total += firstPauseMs + pauseMs * (pauseWeight.size() - 1);
        return total;
    }
};

struct SessionPlan {
    qint64 index = 0;
    UuidText id;
    QByteArray userId;
    QByteArray metadata;
    qint64 startMs = 0;
    qint64 endMs = -1; ///< -1: open
    qint64 spanMs = 0; ///< start to the last message
    const char* endReason = nullptr;
    Channel channel = Channel::Phone;
    bool fahrenheit = false;
    int prompt = 0;
};

class Generator {
public:
    Generator(const SeedOptions& options, quint64 seed, qint64 users, qint64 nowMs)
        : m_options(options)
        , m_seed(seed)
        , m_users(users)
        , m_nowMs(nowMs)
        , m_open(qint64(std::llround(double(options.sessions) * options.activePercent / 100.0)))
        , m_closed(options.sessions - m_open)
        , m_userDigits(std::max(4, int(QByteArray::number(users).size())))
    {
    }

    [[nodiscard]] qint64 openSessions() const { return m_open; }

    void plan(qint64 index, SessionPlan& plan)
    {
        Random random(m_seed, SessionStream, quint64(index));
        plan.index = index;
        const int messages = m_options.messagesPerSession;
        Random pacingRandom(m_seed, MessageStream, quint64(index));
        m_pacing.draw(pacingRandom, messages);
        const qint64 shortest = m_pacing.shortestSpanMs();

        // Who: a few users hold many sessions, most hold a few.
        const auto user = std::min(m_users - 1, qint64(double(m_users) * std::pow(random.uniform(), 1.8)));
        Random userRandom(m_seed, UserStream, quint64(user));
        Channel channel = Channel(weighted(userRandom, {45, 20, 35}));
        const char* locale = locales[weighted(userRandom, localeWeights)];
        if (random.chance(0.15))
            channel = Channel(weighted(random, {45, 20, 35}));
        plan.channel = channel;
        plan.fahrenheit = qstrcmp(locale, "en-US") == 0;
        plan.userId = "user-" + QByteArray::number(user + 1).rightJustified(m_userDigits, '0');

        const qint64 spanStart = m_nowMs - qint64(m_options.days) * dayMs;
        if (index < m_closed) {
            // Ended sessions, in order of their start, over the days back from now.
            const qint64 lastStart = m_nowMs - minuteMs;
            const double at = (double(index) + random.uniform()) / double(m_closed);
            plan.startMs = spanStart + qint64(at * double(lastStart - spanStart));
            qint64 duration = std::clamp(qint64(random.logNormal(150'000, 1.0)), minimumDurationMs, maximumDurationMs);
            const bool timedOut = random.chance(0.1);
            plan.endReason = timedOut ? "timeout" : "client_closed";
            // After the last message: the idle timeout, or the moment the client takes to hang up.
            const qint64 tail = timedOut ? idleTimeoutMs : random.between(300, 2500);
            duration = std::max(duration, shortest + tail);
            plan.spanMs = duration - tail;
            // No session ends in the future.
            plan.startMs = std::min(plan.startMs, m_nowMs - secondMs - duration);
            plan.endMs = plan.startMs + duration;
        } else {
            // Open sessions: started within the last hour, their last message before now.
            const double at = (double(index - m_closed) + random.uniform()) / double(m_open);
            plan.startMs = m_nowMs - openWindowMs + qint64(at * double(openWindowMs - minuteMs));
            const qint64 sampled = std::max(qint64(random.logNormal(150'000, 1.0)), shortest);
            plan.startMs = std::min(plan.startMs, m_nowMs - secondMs - shortest);
            plan.spanMs = std::clamp(m_nowMs - secondMs - plan.startMs, shortest, sampled);
            plan.endMs = -1;
            plan.endReason = nullptr;
        }

        // A release every week or so, rolled out over a day or two.
        int release = int((plan.startMs - spanStart) / (6 * dayMs));
        if (release > 0 && random.chance(0.1))
            --release;
        plan.prompt = (release / 2) % int(std::size(systemPrompts));
        const QByteArray version = "2." + number(4 + release / 3) + '.' + number(release % 3);
        fill(plan.metadata, "{\"channel\":\"{0}\",\"locale\":\"{1}\",\"agent_version\":\"{2}\"}",
            {channelNames[int(channel)], locale, version});
        plan.id = m_uuids.make(plan.startMs);
    }

    /// The session's messages, in seq order, handed to emit one at a time.
    template <typename Emit> Status messages(const SessionPlan& plan, Emit&& emit)
    {
        const int count = m_options.messagesPerSession;
        if (count <= 0)
            return {};
        Random random(m_seed, MessageStream, quint64(plan.index));
        m_pacing.draw(random, count); // the same draws as the plan's
        const qint64 fixed = m_pacing.shortestSpanMs();
        const double spare = double(std::max<qint64>(0, plan.spanMs - fixed));

        MessageRow row;
        row.sessionId = plan.id.view();
        row.userId = plan.userId;

        qint64 at = plan.startMs + m_pacing.systemDelayMs;
        row.role = Role::System;
        row.content = systemPrompts[plan.prompt];
        row.audioUrl = {};
        row.metadata = {};
        row.createdMs = at;
        UuidText messageId = m_uuids.make(at);
        row.messageId = messageId.view();
        row.seq = 1;
        if (Status status = emit(row); !status.isNull())
            return status;

        Conversation conversation(random, plan.channel, plan.fahrenheit);
        const int turns = int(m_pacing.pauseWeight.size());
        double weightSoFar = 0;
        qint64 spareSoFar = 0;
        const double audioShare = plan.channel == Channel::Web ? 0.15 : 0.7;
        for (int turn = 0; turn < turns; ++turn) {
            double confidence = 0;
            conversation.next(turn, turns, turn >= m_pacing.latencyMs.size(), m_userText, m_agentText, confidence);

            // The user's pause: its minimum and its share of the spare time.
            weightSoFar += m_pacing.pauseWeight[turn];
            const auto spareUntil = qint64(spare * weightSoFar / m_pacing.weightSum);
            at += (turn == 0 ? Pacing::firstPauseMs : Pacing::pauseMs) + (spareUntil - spareSoFar);
            spareSoFar = spareUntil;
            row.role = Role::User;
            row.content = m_userText;
            row.audioUrl = {};
            fill(m_metadata, "{\"asr_confidence\":{0}}", {decimal(confidence, 2)});
            row.metadata = m_metadata;
            row.createdMs = at;
            messageId = m_uuids.make(at);
            row.messageId = messageId.view();
            row.seq = 2 + 2 * turn;
            if (Status status = emit(row); !status.isNull())
                return status;
            if (turn >= m_pacing.latencyMs.size())
                break; // the session ended before the reply

            const qint64 latency = m_pacing.latencyMs[turn];
            at += latency;
            row.role = Role::Agent;
            row.content = m_agentText;
            UuidText audioId;
            // Drawn even without URLs, so that a seed gives the same content either way.
            if (random.chance(audioShare) && m_options.audioUrls) {
                audioId = m_uuids.make(at);
                fill(m_audioUrl, "https://audio.example.invalid/{0}.wav", {audioId.view()});
                row.audioUrl = m_audioUrl;
            } else {
                row.audioUrl = {};
            }
            fill(m_metadata, "{\"reply_to\":\"m{0}\",\"reply_latency_ms\":{1}}", {number(turn + 1), number(latency)});
            row.metadata = m_metadata;
            row.createdMs = at;
            messageId = m_uuids.make(at);
            row.messageId = messageId.view();
            row.seq = 3 + 2 * turn;
            if (Status status = emit(row); !status.isNull())
                return status;
        }
        return {};
    }

private:
    template <typename Weights> static int weighted(Random& random, const Weights& weights)
    {
        int total = 0;
        for (const int weight : weights)
            total += weight;
        int draw = random.below(total);
        int index = 0;
        for (const int weight : weights) {
            if (draw < weight)
                return index;
            draw -= weight;
            ++index;
        }
        return 0;
    }
    static int weighted(Random& random, std::initializer_list<int> weights)
    {
        return weighted<std::initializer_list<int>>(random, weights);
    }

    const SeedOptions& m_options;
    quint64 m_seed;
    qint64 m_users;
    qint64 m_nowMs;
    qint64 m_open;
    qint64 m_closed;
    int m_userDigits;
    UuidMaker m_uuids;
    Pacing m_pacing;
    QByteArray m_userText;
    QByteArray m_agentText;
    QByteArray m_metadata;
    QByteArray m_audioUrl;
};

/// The columns the rows need, by table.
Status checkSchema(store::Connection& connection)
{
    const auto schema = store::inspectSchema(connection);
    if (!schema)
        return schema.error();
    const QString url = connection.url().toDisplayString();
    if (!schema->sessions.exists || !schema->messages.exists) {
        return {QStringLiteral("seed.not_migrated"),
            tr("%1 has no conversation tables: create them first with voxtrack-cli migrate on the same --db URL.")
                .arg(url)};
    }
    QStringList missing;
    for (const char* column : {"session_id", "user_id", "session_start", "started_at", "session_end", "ended_at",
             "duration_seconds", "is_active", "metadata", "message_count", "end_reason"}) {
        if (!schema->sessions.hasColumn(QString::fromLatin1(column)))
            missing << QStringLiteral("conversation_sessions.") + QLatin1String(column);
    }
    for (const char* column :
        {"session_id", "user_id", "role", "content", "audio_url", "metadata", "created_at", "message_id", "seq"}) {
        if (!schema->messages.hasColumn(QString::fromLatin1(column)))
            missing << QStringLiteral("conversation_messages.") + QLatin1String(column);
    }
    if (!missing.isEmpty()) {
        return {QStringLiteral("seed.not_migrated"),
            tr("%1 lacks columns of the current schema (%2): bring it up to date with voxtrack-cli migrate on the "
               "same --db URL.")
                .arg(url, missing.join(QStringLiteral(", ")))};
    }
    return {};
}

} // namespace

Seeder::Seeder(store::Connection& connection, SeedOptions options)
    : m_connection(connection)
    , m_options(std::move(options))
{
}

Status Seeder::validate(const SeedOptions& options)
{
    auto outOfRange = [](const char* what, qint64 low, qint64 high, const QString& value) {
        return Status {QStringLiteral("seed.options"),
            tr("The number of %1 must be from %2 to %3, not %4: choose one in that range.")
                .arg(QLatin1String(what))
                .arg(low)
                .arg(high)
                .arg(value)};
    };
    if (options.sessions < 1 || options.sessions > SeedOptions::maxSessions)
        return outOfRange("sessions", 1, SeedOptions::maxSessions, QString::number(options.sessions));
    if (options.messagesPerSession < 0 || options.messagesPerSession > SeedOptions::maxMessagesPerSession)
        return outOfRange(
            "messages per session", 0, SeedOptions::maxMessagesPerSession, QString::number(options.messagesPerSession));
    if (options.users < 0 || options.users > SeedOptions::maxUsers)
        return outOfRange("users", 1, SeedOptions::maxUsers, QString::number(options.users));
    if (options.days < 1 || options.days > SeedOptions::maxDays)
        return outOfRange("days", 1, SeedOptions::maxDays, QString::number(options.days));
    if (options.seed && *options.seed > SeedOptions::maxSeed) {
        return {QStringLiteral("seed.options"),
            tr("The seed must be from 0 to %1, not %2: choose one in that range.")
                .arg(SeedOptions::maxSeed)
                .arg(*options.seed)};
    }
    if (!(options.activePercent >= 0 && options.activePercent <= 100)) {
        return {QStringLiteral("seed.options"),
            tr("The share of open sessions must be from 0 to 100 percent, not %1: choose one in that range.")
                .arg(options.activePercent)};
    }
    return {};
}

Expected<SeedResult> Seeder::run()
{
    if (Status status = validate(m_options); !status.isNull())
        return status;
    if (Status status = checkSchema(m_connection); !status.isNull())
        return status;

    std::unique_ptr<Sink> sink;
    if (m_connection.isPostgreSql()) {
        const auto handle = pg::nativeHandle(m_connection);
        if (!handle)
            return handle.error();
        sink = std::make_unique<PostgresSink>(*handle);
    } else {
        sink = std::make_unique<SqliteSink>(m_connection);
    }

    SeedResult result;
    if (m_options.seed) {
        result.seed = *m_options.seed;
    } else {
        std::random_device device;
        result.seed = ((quint64(device()) << 32) ^ quint64(device())) & SeedOptions::maxSeed;
    }
    result.now = m_options.now.isValid() ? m_options.now.toUTC() : QDateTime::currentDateTimeUtc();
    result.users = m_options.users > 0 ? m_options.users : std::max<qint64>(1, m_options.sessions / 20);

    Generator generator(m_options, result.seed, result.users, result.now.toMSecsSinceEpoch());
    const qint64 sessions = m_options.sessions;
    const int perSession = m_options.messagesPerSession;
    SeedProgress progress;
    progress.rowsTotal = sessions * (1 + qint64(perSession));

    QElapsedTimer clock;
    clock.start();
    qint64 nextReportMs = 0;
    auto report = [&](bool force) {
        if (!m_options.progress)
            return;
        const qint64 elapsed = clock.elapsed();
        if (!force && elapsed < nextReportMs)
            return;
        nextReportMs = elapsed + 200;
        progress.elapsedSeconds = double(elapsed) / 1000.0;
        m_options.progress(progress);
    };
    auto cancelled = [this] { return m_options.cancel && m_options.cancel->load(std::memory_order_relaxed); };
    auto fail = [&](Error error) -> Expected<SeedResult> {
        sink->rollback();
        return error;
    };
    const Error cancelError {QStringLiteral("seed.cancelled"),
        tr("Seeding was interrupted and rolled back: nothing was written. Run it again to seed the database.")};

    // Chunks of sessions, each written before its messages: every COPY statement stays a few
    // hundred thousand rows long, however large the run.
    const qint64 chunk = std::clamp<qint64>(200'000 / std::max(1, perSession), 1, 50'000);
    std::vector<SessionPlan> plans(std::size_t(std::min(chunk, sessions)));

    if (Status status = sink->begin(); !status.isNull())
        return fail(status);
    report(true);
    for (qint64 first = 0; first < sessions; first += chunk) {
        const qint64 count = std::min(chunk, sessions - first);
        if (Status status = sink->beginSessions(); !status.isNull())
            return fail(status);
        for (qint64 i = 0; i < count; ++i) {
            if (cancelled())
                return fail(cancelError);
            SessionPlan& plan = plans[std::size_t(i)];
            generator.plan(first + i, plan);
            SessionRow row;
            row.sessionId = plan.id.view();
            row.userId = plan.userId;
            row.startMs = plan.startMs;
            row.endMs = plan.endMs;
            row.metadata = plan.metadata;
            row.messageCount = perSession;
            row.endReason = plan.endReason;
            if (Status status = sink->addSession(row); !status.isNull())
                return fail(status);
            ++progress.rowsWritten;
            report(false);
        }
        if (Status status = sink->endSessions(); !status.isNull())
            return fail(status);
        result.sessions += count;
        if (perSession == 0)
            continue;
        if (Status status = sink->beginMessages(); !status.isNull())
            return fail(status);
        for (qint64 i = 0; i < count; ++i) {
            if (cancelled())
                return fail(cancelError);
            const Status status = generator.messages(plans[std::size_t(i)], [&](const MessageRow& row) {
                ++progress.rowsWritten;
                return sink->addMessage(row);
            });
            if (!status.isNull())
                return fail(status);
            report(false);
        }
        if (Status status = sink->endMessages(); !status.isNull())
            return fail(status);
        result.messages += count * perSession;
    }
    if (cancelled())
        return fail(cancelError);

    progress.committing = true;
    report(true);
    QElapsedTimer commitClock;
    commitClock.start();
    if (Status status = sink->commit(); !status.isNull())
        return fail(status);
    result.commitSeconds = double(commitClock.nsecsElapsed()) / 1e9;
    result.seconds = double(clock.nsecsElapsed()) / 1e9;
    result.openSessions = generator.openSessions();
    return result;
}

} // namespace voxtrack::tracker
