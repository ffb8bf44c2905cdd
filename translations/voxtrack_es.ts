<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_ES">
<context>
    <name>ActivityPane</name>
    <message>
        <source>Keep the newest line in view</source>
        <translation>Mantener visible la línea más reciente</translation>
    </message>
    <message>
        <source>&amp;Follow</source>
        <translation>&amp;Seguir</translation>
    </message>
    <message>
        <source>Show only what should not be in the database, such as a role the schema does not allow</source>
        <translation>Mostrar solo lo que no debería estar en la base de datos, como un rol que el esquema no permite</translation>
    </message>
    <message>
        <source>&amp;Problems only</source>
        <translation>Solo &amp;problemas</translation>
    </message>
    <message>
        <source>Remove every line (the database is not touched)</source>
        <translation>Eliminar todas las líneas (la base de datos no se modifica)</translation>
    </message>
    <message>
        <source>C&amp;lear</source>
        <translation>&amp;Limpiar</translation>
    </message>
    <message>
        <source>Double-click a line to open its conversation</source>
        <translation>Haga doble clic en una línea para abrir su conversación</translation>
    </message>
</context>
<context>
    <name>ConnectionBar</name>
    <message>
        <source>Pr&amp;ofile:</source>
        <translation>Pe&amp;rfil:</translation>
    </message>
    <message>
        <source>Saved connections: choose one to fill the fields, or type a name to save the fields under</source>
        <translation>Conexiones guardadas: elija una para rellenar los campos o escriba un nombre con el que guardar los campos</translation>
    </message>
    <message>
        <source>Save the URLs under the profile name; the password goes to the system keychain</source>
        <translation>Guardar las URL con el nombre del perfil; la contraseña se guarda en el llavero del sistema</translation>
    </message>
    <message>
        <source>S&amp;ave profile</source>
        <translation>&amp;Guardar perfil</translation>
    </message>
    <message>
        <source>Delete this profile and its saved password</source>
        <translation>Eliminar este perfil y su contraseña guardada</translation>
    </message>
    <message>
        <source>De&amp;lete profile</source>
        <translation>E&amp;liminar perfil</translation>
    </message>
    <message>
        <source>Server &amp;URL:</source>
        <translation>&amp;URL del servidor:</translation>
    </message>
    <message>
        <source>The voxtrackd conversation endpoint, ws://host:port/v1/conversation or http://host:port; leave it empty to work with the database alone</source>
        <translation>El punto de conexión de conversaciones de voxtrackd, ws://host:port/v1/conversation o http://host:port; déjelo vacío para trabajar solo con la base de datos</translation>
    </message>
    <message>
        <source>ws://127.0.0.1:8787/v1/conversation (optional)</source>
        <translation>ws://127.0.0.1:8787/v1/conversation (opcional)</translation>
    </message>
    <message>
        <source>Connect to the server and the database in the fields (Return in a URL field)</source>
        <translation>Conectar al servidor y a la base de datos indicados en los campos (Intro en un campo de URL)</translation>
    </message>
    <message>
        <source>Co&amp;nnect</source>
        <translation>Co&amp;nectar</translation>
    </message>
    <message>
        <source>Data&amp;base URL:</source>
        <translation>URL de la &amp;base de datos:</translation>
    </message>
    <message>
        <source>The database with the conversation tables: postgresql://user@host:5432/database or sqlite:///path/to/file.db</source>
        <translation>La base de datos con las tablas de conversaciones: postgresql://user@host:5432/database o sqlite:///path/to/file.db</translation>
    </message>
    <message>
        <source>postgresql://user@host:5432/database or sqlite:///path.db</source>
        <translation>postgresql://user@host:5432/database o sqlite:///path.db</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>Contra&amp;seña:</translation>
    </message>
    <message>
        <source>The PostgreSQL password; left empty, PGPASSWORD or ~/.pgpass is used</source>
        <translation>La contraseña de PostgreSQL; si se deja vacía, se usa PGPASSWORD o ~/.pgpass</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Contraseña</translation>
    </message>
    <message>
        <source>Let go of the server and the database</source>
        <translation>Liberar el servidor y la base de datos</translation>
    </message>
    <message>
        <source>D&amp;isconnect</source>
        <translation>&amp;Desconectar</translation>
    </message>
</context>
<context>
    <name>ConversationPage</name>
    <message>
        <source>Select a session on the Sessions tab.</source>
        <translation>Seleccione una sesión en la pestaña Sesiones.</translation>
    </message>
    <message>
        <source>Session:</source>
        <translation>Sesión:</translation>
    </message>
    <message>
        <source>State:</source>
        <translation>Estado:</translation>
    </message>
    <message>
        <source>User:</source>
        <translation>Usuario:</translation>
    </message>
    <message>
        <source>Messages:</source>
        <translation>Mensajes:</translation>
    </message>
    <message>
        <source>Started:</source>
        <translation>Inicio:</translation>
    </message>
    <message>
        <source>Ended:</source>
        <translation>Fin:</translation>
    </message>
    <message>
        <source>Duration:</source>
        <translation>Duración:</translation>
    </message>
    <message>
        <source>Session metadata</source>
        <translation>Metadatos de la sesión</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Clave</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Valor</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Tipo</translation>
    </message>
</context>
<context>
    <name>DashboardPage</name>
    <message>
        <source>&amp;Range:</source>
        <translation>&amp;Intervalo:</translation>
    </message>
    <message>
        <source>Sessions started and messages created in this period</source>
        <translation>Sesiones iniciadas y mensajes creados en este periodo</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>Última hora</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>Últimas 24 horas</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>Últimos 7 días</translation>
    </message>
    <message>
        <source>All time</source>
        <translation>Todo el tiempo</translation>
    </message>
    <message>
        <source>&amp;Bucket:</source>
        <translation>A&amp;grupación:</translation>
    </message>
    <message>
        <source>The width of each point of the sessions chart; Auto picks one that fits the range</source>
        <translation>La anchura de cada punto del gráfico de sesiones; Automática elige una que se ajuste al intervalo</translation>
    </message>
    <message>
        <source>Auto</source>
        <translation>Automática</translation>
    </message>
    <message>
        <source>Minute</source>
        <translation>Minuto</translation>
    </message>
    <message>
        <source>Hour</source>
        <translation>Hora</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>Día</translation>
    </message>
    <message>
        <source>Week</source>
        <translation>Semana</translation>
    </message>
    <message>
        <source>Compute the statistics again (F5)</source>
        <translation>Calcular de nuevo las estadísticas (F5)</translation>
    </message>
    <message>
        <source>Re&amp;fresh</source>
        <translation>Actuali&amp;zar</translation>
    </message>
    <message>
        <source>Follow the database: the charts update when sessions and messages are written (at most every 2 seconds)</source>
        <translation>Seguir la base de datos: los gráficos se actualizan cuando se escriben sesiones y mensajes (como máximo cada 2 segundos)</translation>
    </message>
    <message>
        <source>&amp;Live</source>
        <translation>En v&amp;ivo</translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Sin base de datos</translation>
    </message>
    <message>
        <source>The role check allows only user, agent and system: the Health page lists these messages</source>
        <translation>La comprobación de roles solo permite user, agent y system: la página Estado lista estos mensajes</translation>
    </message>
</context>
<context>
    <name>HealthPage</name>
    <message>
        <source>&amp;Database:</source>
        <translation>&amp;Base de datos:</translation>
    </message>
    <message>
        <source>postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path/to/file.db or sqlite:relative.db</source>
        <translation>postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path/to/file.db o sqlite:relative.db</translation>
    </message>
    <message>
        <source>postgresql://user@host:5432/db or sqlite:///path/to/file.db</source>
        <translation>postgresql://user@host:5432/db o sqlite:///path/to/file.db</translation>
    </message>
    <message>
        <source>Check the database, read-only (F5)</source>
        <translation>Comprobar la base de datos, en modo de solo lectura (F5)</translation>
    </message>
    <message>
        <source>&amp;Run doctor</source>
        <translation>E&amp;jecutar diagnóstico</translation>
    </message>
    <message>
        <source>F5</source>
        <translation>F5</translation>
    </message>
    <message>
        <source>Run the doctor to check the database.</source>
        <translation>Ejecute el diagnóstico para comprobar la base de datos.</translation>
    </message>
    <message>
        <source>Select a check to see its samples and hint.</source>
        <translation>Seleccione una comprobación para ver sus muestras y su sugerencia.</translation>
    </message>
</context>
<context>
    <name>LoadPanel</name>
    <message>
        <source>Load test</source>
        <translation>Prueba de carga</translation>
    </message>
    <message>
        <source>S&amp;cenario:</source>
        <translation>Es&amp;cenario:</translation>
    </message>
    <message>
        <source>The conversations to run: a built-in scenario or one opened from a file</source>
        <translation>Las conversaciones que se ejecutarán: un escenario integrado o uno abierto desde un archivo</translation>
    </message>
    <message>
        <source>Open a scenario file (JSON, described in docs/scenarios.md)</source>
        <translation>Abrir un archivo de escenario (JSON, descrito en docs/scenarios.md)</translation>
    </message>
    <message>
        <source>&amp;Open file…</source>
        <translation>A&amp;brir archivo…</translation>
    </message>
    <message>
        <source>&amp;Sessions:</source>
        <translation>&amp;Sesiones:</translation>
    </message>
    <message>
        <source>How many conversations the run holds in all</source>
        <translation>Cuántas conversaciones contiene la ejecución en total</translation>
    </message>
    <message>
        <source>Co&amp;ncurrency:</source>
        <translation>Co&amp;ncurrencia:</translation>
    </message>
    <message>
        <source>At most this many conversations at once (never more than the sessions)</source>
        <translation>Como máximo este número de conversaciones a la vez (nunca más que las sesiones)</translation>
    </message>
    <message>
        <source>&amp;Arrivals:</source>
        <translation>&amp;Llegadas:</translation>
    </message>
    <message>
        <source>Conversations started per second; 0 starts each one as soon as the concurrency allows</source>
        <translation>Conversaciones iniciadas por segundo; 0 inicia cada una en cuanto lo permite la concurrencia</translation>
    </message>
    <message>
        <source> /s</source>
        <translation> /s</translation>
    </message>
    <message>
        <source>As fast as possible</source>
        <translation>Lo más rápido posible</translation>
    </message>
    <message>
        <source>After each session, compare what it said with the database (needs a database)</source>
        <translation>Tras cada sesión, comparar lo que dijo con la base de datos (requiere una base de datos)</translation>
    </message>
    <message>
        <source>&amp;Verify the database</source>
        <translation>&amp;Verificar la base de datos</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Iniciar</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
    <message>
        <source>%v / %m sessions</source>
        <translation>%v / %m sesiones</translation>
    </message>
    <message>
        <source>The summary of a run appears here when it is over.</source>
        <translation>El resumen de una ejecución aparece aquí cuando termina.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Voxtrack</source>
        <translation>Voxtrack</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Archivo</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>A&amp;yuda</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Salir</translation>
    </message>
    <message>
        <source>Ctrl+Q</source>
        <translation>Ctrl+Q</translation>
    </message>
    <message>
        <source>&amp;About Voxtrack</source>
        <translation>&amp;Acerca de Voxtrack</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>Acerca de &amp;Qt</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Editar</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ver</translation>
    </message>
    <message>
        <source>&amp;Connect…</source>
        <translation>&amp;Conectar…</translation>
    </message>
    <message>
        <source>Go to the connection bar to connect to a server and a database</source>
        <translation>Ir a la barra de conexión para conectar a un servidor y a una base de datos</translation>
    </message>
    <message>
        <source>Ctrl+L</source>
        <translation>Ctrl+L</translation>
    </message>
    <message>
        <source>&amp;Disconnect</source>
        <translation>&amp;Desconectar</translation>
    </message>
    <message>
        <source>Close the connections to the server and the database</source>
        <translation>Cerrar las conexiones al servidor y a la base de datos</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Preferencias…</translation>
    </message>
    <message>
        <source>Language and other preferences</source>
        <translation>Idioma y otras preferencias</translation>
    </message>
    <message>
        <source>Ctrl+,</source>
        <translation>Ctrl+,</translation>
    </message>
    <message>
        <source>S&amp;imulator</source>
        <translation>S&amp;imulador</translation>
    </message>
    <message>
        <source>Ctrl+1</source>
        <translation>Ctrl+1</translation>
    </message>
    <message>
        <source>&amp;Sessions</source>
        <translation>&amp;Sesiones</translation>
    </message>
    <message>
        <source>Ctrl+2</source>
        <translation>Ctrl+2</translation>
    </message>
    <message>
        <source>&amp;Conversation</source>
        <translation>&amp;Conversación</translation>
    </message>
    <message>
        <source>Ctrl+3</source>
        <translation>Ctrl+3</translation>
    </message>
    <message>
        <source>&amp;Dashboard</source>
        <translation>&amp;Panel</translation>
    </message>
    <message>
        <source>Ctrl+4</source>
        <translation>Ctrl+4</translation>
    </message>
    <message>
        <source>&amp;Health</source>
        <translation>&amp;Estado</translation>
    </message>
    <message>
        <source>Ctrl+5</source>
        <translation>Ctrl+5</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>Actuali&amp;zar</translation>
    </message>
    <message>
        <source>Read the current page again from the database</source>
        <translation>Leer de nuevo la página actual desde la base de datos</translation>
    </message>
    <message>
        <source>F5</source>
        <translation>F5</translation>
    </message>
</context>
<context>
    <name>QCoreApplication</name>
    <message>
        <source>The audio of the message %1 is not a valid WAV file: %2</source>
        <translation>El audio del mensaje %1 no es un archivo WAV válido: %2</translation>
    </message>
</context>
<context>
    <name>SessionsPage</name>
    <message>
        <source>Only this user&apos;s sessions</source>
        <translation>Solo las sesiones de este usuario</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Usuario</translation>
    </message>
    <message>
        <source>Active or ended sessions</source>
        <translation>Sesiones activas o finalizadas</translation>
    </message>
    <message>
        <source>All sessions</source>
        <translation>Todas las sesiones</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Activas</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Finalizadas</translation>
    </message>
    <message>
        <source>Sessions with a message containing this text (any case)</source>
        <translation>Sesiones con un mensaje que contiene este texto (sin distinguir mayúsculas)</translation>
    </message>
    <message>
        <source>Text in a message</source>
        <translation>Texto en un mensaje</translation>
    </message>
    <message>
        <source>Sessions whose metadata has this key with this value, written key=value</source>
        <translation>Sesiones cuyos metadatos tienen esta clave con este valor, escrito como key=value</translation>
    </message>
    <message>
        <source>key=value in metadata</source>
        <translation>key=value en los metadatos</translation>
    </message>
    <message>
        <source>Follow the database: new sessions appear, ended ones change</source>
        <translation>Seguir la base de datos: aparecen las sesiones nuevas y cambian las finalizadas</translation>
    </message>
    <message>
        <source>&amp;Live</source>
        <translation>En v&amp;ivo</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Preferencias</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>&amp;Idioma:</translation>
    </message>
    <message>
        <source>Voxtrack uses the new language when it starts next.</source>
        <translation>Voxtrack usará el nuevo idioma la próxima vez que se inicie.</translation>
    </message>
    <message>
        <source>Ask before &amp;quitting while a load run is going</source>
        <translation>Preguntar antes de &amp;salir mientras haya una prueba de carga en curso</translation>
    </message>
</context>
<context>
    <name>SimulatorPage</name>
    <message>
        <source>&amp;User:</source>
        <translation>&amp;Usuario:</translation>
    </message>
    <message>
        <source>The user the server records the session for (sent as user_id)</source>
        <translation>El usuario para el que el servidor registra la sesión (enviado como user_id)</translation>
    </message>
    <message>
        <source>&amp;Start session</source>
        <translation>&amp;Iniciar sesión</translation>
    </message>
    <message>
        <source>&amp;End session</source>
        <translation>&amp;Finalizar sesión</translation>
    </message>
    <message>
        <source>What the user says…</source>
        <translation>Lo que dice el usuario…</translation>
    </message>
    <message>
        <source>&amp;Phrases</source>
        <translation>Fr&amp;ases</translation>
    </message>
    <message>
        <source>Typical things a caller says</source>
        <translation>Cosas típicas que dice quien llama</translation>
    </message>
    <message>
        <source>Se&amp;nd</source>
        <translation>E&amp;nviar</translation>
    </message>
    <message>
        <source>Send each utterance as speech: synthesized with espeak-ng and streamed as 16 kHz audio in real time, with its text as the transcript</source>
        <translation>Enviar cada enunciado como voz: sintetizado con espeak-ng y transmitido como audio de 16 kHz en tiempo real, con su texto como transcripción</translation>
    </message>
    <message>
        <source>S&amp;poken</source>
        <translation>&amp;Hablado</translation>
    </message>
    <message>
        <source>Also play the speech on this computer while it is sent</source>
        <translation>Reproducir también la voz en este equipo mientras se envía</translation>
    </message>
    <message>
        <source>Al&amp;oud</source>
        <translation>En &amp;voz alta</translation>
    </message>
</context>
<context>
    <name>voxtrack::DatabaseUrl</name>
    <message>
        <source>The port &quot;%1&quot; in the database URL is not a number from 1 to 65535: fix the port, or leave it out to use 5432.</source>
        <translation>El puerto «%1» de la URL de la base de datos no es un número del 1 al 65535: corrija el puerto u omítalo para usar 5432.</translation>
    </message>
    <message>
        <source>postgresql://user@host:5432/database (or postgres://…), sqlite::memory:, sqlite:relative/path.db or sqlite:///absolute/path.db</source>
        <translation>postgresql://user@host:5432/database (o postgres://…), sqlite::memory:, sqlite:relative/path.db o sqlite:///absolute/path.db</translation>
    </message>
    <message>
        <source>the user name</source>
        <translation>el nombre de usuario</translation>
    </message>
    <message>
        <source>the password</source>
        <translation>la contraseña</translation>
    </message>
    <message>
        <source>the host</source>
        <translation>el host</translation>
    </message>
    <message>
        <source>the database name</source>
        <translation>el nombre de la base de datos</translation>
    </message>
    <message>
        <source>an option name</source>
        <translation>un nombre de opción</translation>
    </message>
    <message>
        <source>the value of the option &quot;%1&quot;</source>
        <translation>el valor de la opción «%1»</translation>
    </message>
    <message>
        <source>the SQLite file path</source>
        <translation>la ruta del archivo SQLite</translation>
    </message>
    <message>
        <source>a space</source>
        <translation>un espacio</translation>
    </message>
    <message>
        <source>the control character U+%1</source>
        <translation>el carácter de control U+%1</translation>
    </message>
    <message>
        <source>The database URL has %1 in %2, which must be percent-encoded: write it as %3.</source>
        <translation>La URL de la base de datos tiene %1 en %2, que debe codificarse con porcentajes: escríbalo como %3.</translation>
    </message>
    <message>
        <source>The database URL has a malformed percent-escape in the password: a % must be followed by two hexadecimal digits, so write a literal % as %25.</source>
        <translation>La URL de la base de datos tiene un escape de porcentaje mal formado en la contraseña: un % debe ir seguido de dos dígitos hexadecimales, así que escriba un % literal como %25.</translation>
    </message>
    <message>
        <source>The database URL has the malformed percent-escape &quot;%1&quot; in %2: a % must be followed by two hexadecimal digits, so write a literal % as %25.</source>
        <translation>La URL de la base de datos tiene el escape de porcentaje mal formado «%1» en %2: un % debe ir seguido de dos dígitos hexadecimales, así que escriba un % literal como %25.</translation>
    </message>
    <message>
        <source>The database URL has an encoded NUL character (%2) in %1, which a database cannot use: remove it.</source>
        <translation>La URL de la base de datos tiene un carácter NUL codificado (%2) en %1, que una base de datos no puede usar: elimínelo.</translation>
    </message>
    <message>
        <source>The database URL has percent-escapes in %1 that are not UTF-8 text: encode other characters as UTF-8 bytes (é is %C3%A9).</source>
        <translation>La URL de la base de datos tiene escapes de porcentaje en %1 que no son texto UTF-8: codifique los demás caracteres como bytes UTF-8 (é es %C3%A9).</translation>
    </message>
    <message>
        <source>The IPv6 address &quot;%1&quot; in the database URL is not valid: write hexadecimal groups separated by colons, as in [::1] or [2001:db8::5].</source>
        <translation>La dirección IPv6 «%1» de la URL de la base de datos no es válida: escriba grupos hexadecimales separados por dos puntos, como en [::1] o [2001:db8::5].</translation>
    </message>
    <message>
        <source>The database URL lists several hosts (&quot;%1&quot;), which is not supported: give a single host.</source>
        <translation>La URL de la base de datos indica varios hosts («%1»), lo cual no se admite: indique un único host.</translation>
    </message>
    <message>
        <source>The host &quot;%1&quot; in the database URL is not a valid host name: give a host name, an IPv4 address, an IPv6 address in brackets such as [::1], or a socket directory as ?host=/var/run/postgresql.</source>
        <translation>El host «%1» de la URL de la base de datos no es un nombre de host válido: indique un nombre de host, una dirección IPv4, una dirección IPv6 entre corchetes como [::1] o un directorio de socket como ?host=/var/run/postgresql.</translation>
    </message>
    <message>
        <source>The sslmode &quot;%1&quot; in the database URL is not valid: use one of %2.</source>
        <translation>El sslmode «%1» de la URL de la base de datos no es válido: use uno de %2.</translation>
    </message>
    <message>
        <source>The target_session_attrs &quot;%1&quot; in the database URL is not valid: use one of %2.</source>
        <translation>El target_session_attrs «%1» de la URL de la base de datos no es válido: use uno de %2.</translation>
    </message>
    <message>
        <source>The %1 &quot;%2&quot; in the database URL is not a whole number of seconds: give a number such as 10, or leave the option out.</source>
        <translation>El %1 «%2» de la URL de la base de datos no es un número entero de segundos: indique un número como 10 u omita la opción.</translation>
    </message>
    <message>
        <source>The keepalives &quot;%1&quot; in the database URL is not valid: use 1 to turn TCP keepalives on or 0 to turn them off.</source>
        <translation>El keepalives «%1» de la URL de la base de datos no es válido: use 1 para activar los keepalives de TCP o 0 para desactivarlos.</translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; in the database URL has no value: write it as %1=value.</source>
        <translation>La opción «%1» de la URL de la base de datos no tiene valor: escríbala como %1=valor.</translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; appears more than once in the database URL: keep only one.</source>
        <translation>La opción «%1» aparece más de una vez en la URL de la base de datos: conserve solo una.</translation>
    </message>
    <message>
        <source>The database URL scheme &quot;%1&quot; is not supported: use %2.</source>
        <translation>El esquema «%1» de la URL de la base de datos no se admite: use %2.</translation>
    </message>
    <message>
        <source>The database URL has no scheme: start it with postgresql://, as in postgresql://user@host:5432/database.</source>
        <translation>La URL de la base de datos no tiene esquema: empiece con postgresql://, como en postgresql://user@host:5432/database.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is a file path, not a database URL: write %2 to use it as an SQLite database.</source>
        <translation>«%1» es una ruta de archivo, no una URL de base de datos: escriba %2 para usarla como base de datos SQLite.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a database URL: use %2.</source>
        <translation>«%1» no es una URL de base de datos: use %2.</translation>
    </message>
    <message>
        <source>The SQLite URL names the host &quot;%1&quot;, but an SQLite database is a local file: use three slashes for an absolute path (sqlite:///%2) or none for a relative one (sqlite:%2).</source>
        <translation>La URL de SQLite indica el host «%1», pero una base de datos SQLite es un archivo local: use tres barras para una ruta absoluta (sqlite:///%2) o ninguna para una relativa (sqlite:%2).</translation>
    </message>
    <message>
        <source>The SQLite URL has no file path: write sqlite:///absolute/path.db, sqlite:relative/path.db, or sqlite::memory: for an in-memory database.</source>
        <translation>La URL de SQLite no tiene ruta de archivo: escriba sqlite:///absolute/path.db, sqlite:relative/path.db o sqlite::memory: para una base de datos en memoria.</translation>
    </message>
    <message>
        <source>The SQLite path &quot;%1&quot; ends with &quot;/&quot;, so it names a directory: add the file name, as in %1voxtrack.db.</source>
        <translation>La ruta de SQLite «%1» termina en «/», así que indica un directorio: añada el nombre del archivo, como en %1voxtrack.db.</translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; in the database URL is not supported for SQLite: the only option is mode (ro, rw or rwc).</source>
        <translation>La opción «%1» de la URL de la base de datos no se admite para SQLite: la única opción es mode (ro, rw o rwc).</translation>
    </message>
    <message>
        <source>The SQLite mode &quot;%1&quot; in the database URL is not valid: use ro (read-only), rw (read-write) or rwc (read-write, created if missing).</source>
        <translation>El modo de SQLite «%1» de la URL de la base de datos no es válido: use ro (solo lectura), rw (lectura y escritura) o rwc (lectura y escritura, se crea si no existe).</translation>
    </message>
    <message>
        <source>The database URL is empty: give one such as postgresql://user@host/database or sqlite:///path/to/file.db.</source>
        <translation>La URL de la base de datos está vacía: indique una como postgresql://user@host/database o sqlite:///path/to/file.db.</translation>
    </message>
    <message>
        <source>The database URL must continue with &quot;//&quot; after &quot;%1:&quot;: write %1://host/database, or %1:///database for the local socket.</source>
        <translation>La URL de la base de datos debe continuar con «//» después de «%1:»: escriba %1://host/database, o %1:///database para el socket local.</translation>
    </message>
    <message>
        <source>The database URL has an &quot;@&quot; after the host, which usually means the user name or password contains &quot;/&quot; or &quot;?&quot;: percent-encode them as %2F and %3F.</source>
        <translation>La URL de la base de datos tiene una «@» después del host, lo que suele significar que el nombre de usuario o la contraseña contienen «/» o «?»: codifíquelos con porcentajes como %2F y %3F.</translation>
    </message>
    <message>
        <source>The database URL has more than one &quot;@&quot; before the host: if the user name or password contains &quot;@&quot;, write it as %40.</source>
        <translation>La URL de la base de datos tiene más de una «@» antes del host: si el nombre de usuario o la contraseña contienen «@», escríbala como %40.</translation>
    </message>
    <message>
        <source>The database URL opens an IPv6 address with &quot;[&quot; but never closes it: add the &quot;]&quot;, as in postgresql://[::1]:5432/database.</source>
        <translation>La URL de la base de datos abre una dirección IPv6 con «[» pero no la cierra: añada el «]», como en postgresql://[::1]:5432/database.</translation>
    </message>
    <message>
        <source>The database URL has &quot;%1&quot; after the IPv6 address [%2]: only a port may follow it, as in [%2]:5432.</source>
        <translation>La URL de la base de datos tiene «%1» después de la dirección IPv6 [%2]: solo puede seguirle un puerto, como en [%2]:5432.</translation>
    </message>
    <message>
        <source>The host &quot;%1&quot; in the database URL has more than one &quot;:&quot;: put an IPv6 address in brackets, as in postgresql://[::1]:5432/database.</source>
        <translation>El host «%1» de la URL de la base de datos tiene más de un «:»: ponga las direcciones IPv6 entre corchetes, como en postgresql://[::1]:5432/database.</translation>
    </message>
    <message>
        <source>The database name &quot;%1&quot; in the database URL contains &quot;/&quot;: give a single name after the host, writing a slash that belongs to the name as %2F.</source>
        <translation>El nombre de base de datos «%1» de la URL de la base de datos contiene «/»: indique un único nombre después del host y escriba como %2F una barra que forme parte del nombre.</translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; in the database URL is not supported: use one of %2.</source>
        <translation>La opción «%1» de la URL de la base de datos no se admite: use una de %2.</translation>
    </message>
</context>
<context>
    <name>voxtrack::EndReason</name>
    <message>
        <source>The end reason &quot;%1&quot; is not known: use one of %2.</source>
        <translation>El motivo de finalización «%1» no es conocido: use uno de %2.</translation>
    </message>
</context>
<context>
    <name>voxtrack::Role</name>
    <message>
        <source>The role &quot;%1&quot; is not allowed: use &quot;agent&quot; for the agent&apos;s replies (allowed roles: %2).</source>
        <translation>El rol «%1» no está permitido: use &quot;agent&quot; para las respuestas del agente (roles permitidos: %2).</translation>
    </message>
    <message>
        <source>The role is empty: use one of %1.</source>
        <translation>El rol está vacío: use uno de %1.</translation>
    </message>
    <message>
        <source>The role &quot;%1&quot; is not allowed: use one of %2.</source>
        <translation>El rol «%1» no está permitido: use uno de %2.</translation>
    </message>
</context>
<context>
    <name>voxtrack::app</name>
    <message>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;: see --help. [usage]</source>
        <translation>Argumento inesperado «%1»: consulte --help. [usage]</translation>
    </message>
    <message>
        <source>Could not write the picture to %1: check the directory exists and is writable. [screenshot.write]</source>
        <translation>No se pudo escribir la imagen en %1: compruebe que el directorio existe y tiene permiso de escritura. [screenshot.write]</translation>
    </message>
    <message>
        <source>Monitoring and test harness for voice-agent conversation tracking: drives conversations against a server and shows what reached its PostgreSQL or SQLite database, live.</source>
        <translation>Herramienta de supervisión y pruebas para el registro de conversaciones de agentes de voz: ejecuta conversaciones contra un servidor y muestra en directo lo que llegó a su base de datos PostgreSQL o SQLite.</translation>
    </message>
    <message>
        <source>Run the demo: a built-in server on an SQLite database in %1, with synthetic conversations arriving at a gentle rate.</source>
        <translation>Ejecutar la demostración: un servidor integrado sobre una base de datos SQLite en %1, con conversaciones sintéticas que llegan a un ritmo moderado.</translation>
    </message>
    <message>
        <source>Database URL to connect to at start: postgresql://user@host:5432/db?sslmode=require, sqlite:///path.db or sqlite:relative.db.</source>
        <translation>URL de la base de datos a la que conectar al inicio: postgresql://user@host:5432/db?sslmode=require, sqlite:///path.db o sqlite:relative.db.</translation>
    </message>
    <message>
        <source>Server URL to connect to at start: ws://127.0.0.1:8787/v1/conversation.</source>
        <translation>URL del servidor al que conectar al inicio: ws://127.0.0.1:8787/v1/conversation.</translation>
    </message>
    <message>
        <source>After --wait seconds, save a PNG picture of each page into this directory, and quit.</source>
        <translation>Tras --wait segundos, guardar una imagen PNG de cada página en este directorio y salir.</translation>
    </message>
    <message>
        <source>dir</source>
        <translation>dir</translation>
    </message>
    <message>
        <source>Seconds to let conversations arrive before --screenshots (default 10).</source>
        <translation>Segundos que se deja llegar conversaciones antes de --screenshots (predeterminado: 10).</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>segundos</translation>
    </message>
    <message>
        <source>--wait takes a whole number of seconds, not &quot;%1&quot;. [usage]</source>
        <translation>--wait requiere un número entero de segundos, no «%1». [usage]</translation>
    </message>
    <message>
        <source>--demo runs its own server and database: leave out --db and --server. [usage]</source>
        <translation>--demo ejecuta su propio servidor y base de datos: omita --db y --server. [usage]</translation>
    </message>
    <message>
        <source>Could not create the directory %1 for the pictures. [screenshot.write]</source>
        <translation>No se pudo crear el directorio %1 para las imágenes. [screenshot.write]</translation>
    </message>
</context>
<context>
    <name>voxtrack::cli</name>
    <message>
        <source>Database URL: postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path.db or sqlite:relative.db. Default: $VOXTRACK_DB, else %1.</source>
        <translation>URL de la base de datos: postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path.db o sqlite:relative.db. Predeterminado: $VOXTRACK_DB; si no, %1.</translation>
    </message>
    <message>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <source>Print the result as JSON for programs.</source>
        <translation>Imprimir el resultado como JSON para programas.</translation>
    </message>
    <message>
        <source>: see --help.</source>
        <translation>: consulte --help.</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;: see --help.</source>
        <translation>Argumento inesperado «%1»: consulte --help.</translation>
    </message>
    <message>
        <source>Creates the conversation tables, or brings them to the current schema version. An old database whose sessions are keyed by id only is upgraded: session_id is added and filled from id. Everything runs in one transaction: on failure nothing is changed.</source>
        <translation>Crea las tablas de conversaciones o las lleva a la versión actual del esquema. Una base de datos antigua cuyas sesiones se identifican solo por id se actualiza: se añade session_id y se rellena a partir de id. Todo se ejecuta en una única transacción: si algo falla, no se modifica nada.</translation>
    </message>
    <message>
        <source>%1 is at schema version %2: nothing to do.
</source>
        <translation>%1 está en la versión %2 del esquema: no hay nada que hacer.
</translation>
    </message>
    <message>
        <source>Upgraded the old table shape: session_id filled from id, NOT NULL and UNIQUE.
</source>
        <translation>Se actualizó la forma antigua de la tabla: session_id rellenado a partir de id, NOT NULL y UNIQUE.
</translation>
    </message>
    <message>
        <source>Migrated %1 from schema version %2 to %3 (applied: %4).
</source>
        <translation>%1 migrada de la versión %2 del esquema a la %3 (aplicadas: %4).
</translation>
    </message>
    <message>
        <source>none</source>
        <translation>ninguna</translation>
    </message>
    <message>
        <source>Checks a conversation database, read-only, for the faults that break conversation tracking: a role outside user/agent/system, messages without their session, NULL session ids, sessions never ended, wrong durations and more. Exit code 0: no errors; 1: errors found; 2: could not run.</source>
        <translation>Comprueba una base de datos de conversaciones, en modo de solo lectura, en busca de los fallos que rompen el registro de conversaciones: un rol fuera de user/agent/system, mensajes sin su sesión, identificadores de sesión NULL, sesiones nunca finalizadas, duraciones erróneas y más. Código de salida 0: sin errores; 1: se encontraron errores; 2: no se pudo ejecutar.</translation>
    </message>
    <message>
        <source>An active session older than this many hours is stale (default 24).</source>
        <translation>Una sesión activa con más de este número de horas se considera obsoleta (predeterminado: 24).</translation>
    </message>
    <message>
        <source>hours</source>
        <translation>horas</translation>
    </message>
    <message>
        <source>Seconds two timestamps or a duration may disagree by (default 1).</source>
        <translation>Segundos en que pueden discrepar dos marcas de tiempo o una duración (predeterminado: 1).</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>segundos</translation>
    </message>
    <message>
        <source>--stale-after takes a positive number of hours, not &quot;%1&quot;.</source>
        <translation>--stale-after requiere un número positivo de horas, no «%1».</translation>
    </message>
    <message>
        <source>--tolerance takes a number of seconds of 0 or more, not &quot;%1&quot;.</source>
        <translation>--tolerance requiere un número de segundos igual o mayor que 0, no «%1».</translation>
    </message>
    <message>
        <source>Create or upgrade the conversation tables</source>
        <translation>Crear o actualizar las tablas de conversaciones</translation>
    </message>
    <message>
        <source>Check a database for conversation-tracking faults</source>
        <translation>Comprobar si una base de datos tiene fallos de registro de conversaciones</translation>
    </message>
    <message>
        <source>Usage: voxtrack-cli &lt;command&gt; [options]

The headless harness for conversation-tracking backends.

Commands:
</source>
        <translation>Uso: voxtrack-cli &lt;command&gt; [options]

El banco de pruebas sin interfaz gráfica para backends de registro de conversaciones.

Órdenes:
</translation>
    </message>
    <message>
        <source>
Run voxtrack-cli &lt;command&gt; --help for a command&apos;s options.
Exit codes: 0 done, 1 errors found, 2 could not run.
</source>
        <translation>
Ejecute voxtrack-cli &lt;command&gt; --help para ver las opciones de una orden.
Códigos de salida: 0 hecho, 1 se encontraron errores, 2 no se pudo ejecutar.
</translation>
    </message>
    <message>
        <source>Unknown command &quot;%1&quot;: run voxtrack-cli --help for the list.</source>
        <translation>Orden desconocida «%1»: ejecute voxtrack-cli --help para ver la lista.</translation>
    </message>
    <message>
        <source>--user takes a user_id, not an empty string.</source>
        <translation>--user requiere un user_id, no una cadena vacía.</translation>
    </message>
    <message>
        <source>--active and --ended exclude each other: give one of them.</source>
        <translation>--active y --ended se excluyen mutuamente: indique solo una de ellas.</translation>
    </message>
    <message>
        <source>--since takes a time like 2h, 3d or 2025-10-18T09:30:00Z, not &quot;%1&quot;.</source>
        <translation>--since requiere un tiempo como 2h, 3d o 2025-10-18T09:30:00Z, no «%1».</translation>
    </message>
    <message>
        <source>Lists conversation sessions, newest first, read-only: who, when, how long, how many stored messages and why it ended.</source>
        <translation>Lista las sesiones de conversación, de la más reciente a la más antigua, en modo de solo lectura: quién, cuándo, cuánto duró, cuántos mensajes almacenados tiene y por qué terminó.</translation>
    </message>
    <message>
        <source>Show at most this many sessions (default 50).</source>
        <translation>Mostrar como máximo este número de sesiones (predeterminado: 50).</translation>
    </message>
    <message>
        <source>n</source>
        <translation>n</translation>
    </message>
    <message>
        <source>--limit takes a whole number of 1 or more, not &quot;%1&quot;.</source>
        <translation>--limit requiere un número entero igual o mayor que 1, no «%1».</translation>
    </message>
    <message>
        <source>active</source>
        <translation>activa</translation>
    </message>
    <message>
        <source>SESSION</source>
        <translation>SESIÓN</translation>
    </message>
    <message>
        <source>USER</source>
        <translation>USUARIO</translation>
    </message>
    <message>
        <source>STARTED</source>
        <translation>INICIO</translation>
    </message>
    <message>
        <source>DURATION</source>
        <translation>DURACIÓN</translation>
    </message>
    <message>
        <source>MESSAGES</source>
        <translation>MENSAJES</translation>
    </message>
    <message>
        <source>END</source>
        <translation>FIN</translation>
    </message>
    <message numerus="yes">
        <source>%n session(s) shown (of %1 matching).
</source>
        <translation>
            <numerusform>Se muestra %n sesión (de %1 coincidentes).
</numerusform>
            <numerusform>Se muestran %n sesiones (de %1 coincidentes).
</numerusform>
        </translation>
    </message>
    <message>
        <source>Shows one session&apos;s stored messages in order (seq, then created_at), read-only.</source>
        <translation>Muestra en orden los mensajes almacenados de una sesión (seq y después created_at), en modo de solo lectura.</translation>
    </message>
    <message>
        <source>The session to show.</source>
        <translation>La sesión que se mostrará.</translation>
    </message>
    <message>
        <source>Name the session: voxtrack-cli messages SESSION_ID --db URL.</source>
        <translation>Indique la sesión: voxtrack-cli messages SESSION_ID --db URL.</translation>
    </message>
    <message>
        <source>The session %1 has no stored messages.
</source>
        <translation>La sesión %1 no tiene mensajes almacenados.
</translation>
    </message>
    <message>
        <source>SEQ</source>
        <translation>SEQ</translation>
    </message>
    <message>
        <source>TIME</source>
        <translation>HORA</translation>
    </message>
    <message>
        <source>ROLE</source>
        <translation>ROL</translation>
    </message>
    <message>
        <source>CONTENT</source>
        <translation>CONTENIDO</translation>
    </message>
    <message>
        <source>AUDIO</source>
        <translation>AUDIO</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>sí</translation>
    </message>
    <message numerus="yes">
        <source>%n message(s) in session %1.
</source>
        <translation>
            <numerusform>%n mensaje en la sesión %1.
</numerusform>
            <numerusform>%n mensajes en la sesión %1.
</numerusform>
        </translation>
    </message>
    <message>
        <source>Exports every matching session with its messages, read-only. csv: one row per message with the session&apos;s columns repeated (a session without messages gets one row), RFC 4180 quoting, a header row. json: an array of sessions, each with a &quot;messages&quot; array.</source>
        <translation>Exporta todas las sesiones coincidentes con sus mensajes, en modo de solo lectura. csv: una fila por mensaje con las columnas de la sesión repetidas (una sesión sin mensajes tiene una fila), entrecomillado RFC 4180 y una fila de encabezado. json: un array de sesiones, cada una con un array &quot;messages&quot;.</translation>
    </message>
    <message>
        <source>csv or json.</source>
        <translation>csv o json.</translation>
    </message>
    <message>
        <source>format</source>
        <translation>formato</translation>
    </message>
    <message>
        <source>Write to this file (replaced whole, or not at all) instead of stdout.</source>
        <translation>Escribir en este archivo (se reemplaza entero o no se modifica) en lugar de en stdout.</translation>
    </message>
    <message>
        <source>file</source>
        <translation>archivo</translation>
    </message>
    <message>
        <source>--format takes csv or json, not &quot;%1&quot;.</source>
        <translation>--format requiere csv o json, no «%1».</translation>
    </message>
    <message>
        <source>Say which format to export: --format csv or --format json.</source>
        <translation>Indique el formato de exportación: --format csv o --format json.</translation>
    </message>
    <message>
        <source>--output takes a file name, not an empty string.</source>
        <translation>--output requiere un nombre de archivo, no una cadena vacía.</translation>
    </message>
    <message>
        <source>Could not write %1: %2: check the directory exists and is writable.</source>
        <translation>No se pudo escribir %1: %2: compruebe que el directorio existe y tiene permiso de escritura.</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n session(s) with %1 message(s) to %2.
</source>
        <translation>
            <numerusform>Se exportó %n sesión con %1 mensaje(s) a %2.
</numerusform>
            <numerusform>Se exportaron %n sesiones con %1 mensaje(s) a %2.
</numerusform>
        </translation>
    </message>
    <message>
        <source>List sessions, newest first</source>
        <translation>Listar las sesiones, de la más reciente a la más antigua</translation>
    </message>
    <message>
        <source>Show one session&apos;s messages in order</source>
        <translation>Mostrar en orden los mensajes de una sesión</translation>
    </message>
    <message>
        <source>Export sessions with their messages as CSV or JSON</source>
        <translation>Exportar sesiones con sus mensajes como CSV o JSON</translation>
    </message>
    <message>
        <source>Run a scenario&apos;s conversations against a server and verify them</source>
        <translation>Ejecutar las conversaciones de un escenario contra un servidor y verificarlas</translation>
    </message>
    <message>
        <source>--%1 expects a whole number from %2 to %3, not &quot;%4&quot;: see --help.</source>
        <translation>--%1 espera un número entero de %2 a %3, no «%4»: consulte --help.</translation>
    </message>
    <message>
        <source>%1/%2 sessions done, %3 open, %4 msg/s, reply p95 %5, %6 error(s)</source>
        <translation>%1/%2 sesiones hechas, %3 abiertas, %4 msj/s, respuesta p95 %5, %6 error(es)</translation>
    </message>
    <message>
        <source>, verifying %1</source>
        <translation>, verificando %1</translation>
    </message>
    <message>
        <source> (stopping)</source>
        <translation> (deteniendo)</translation>
    </message>
    <message>
        <source>The scenario file (JSON).</source>
        <translation>El archivo de escenario (JSON).</translation>
    </message>
    <message>
        <source>The server&apos;s WebSocket URL. Default: $VOXTRACK_URL, else %1.</source>
        <translation>La URL WebSocket del servidor. Predeterminado: $VOXTRACK_URL; si no, %1.</translation>
    </message>
    <message>
        <source>Bearer token every session sends (default: $VOXTRACK_TOKEN). Without one, sessions name their user with ?user_id= (a server run with --no-auth).</source>
        <translation>Token Bearer que envía cada sesión (predeterminado: $VOXTRACK_TOKEN). Sin él, las sesiones indican su usuario con ?user_id= (un servidor ejecutado con --no-auth).</translation>
    </message>
    <message>
        <source>token</source>
        <translation>token</translation>
    </message>
    <message>
        <source>Compare the database (--db) with every session once it ended.</source>
        <translation>Comparar la base de datos (--db) con cada sesión una vez finalizada.</translation>
    </message>
    <message>
        <source>Write summary.json, junit.xml and turns.csv into this directory (created if needed).</source>
        <translation>Escribir summary.json, junit.xml y turns.csv en este directorio (se crea si es necesario).</translation>
    </message>
    <message>
        <source>dir</source>
        <translation>dir</translation>
    </message>
    <message>
        <source>Run this many sessions instead of the scenario&apos;s.</source>
        <translation>Ejecutar este número de sesiones en lugar del indicado en el escenario.</translation>
    </message>
    <message>
        <source>At most this many sessions at once instead of the scenario&apos;s.</source>
        <translation>Como máximo este número de sesiones a la vez en lugar del indicado en el escenario.</translation>
    </message>
    <message>
        <source>Threads holding the connections (default: one per core).</source>
        <translation>Hilos que mantienen las conexiones (predeterminado: uno por núcleo).</translation>
    </message>
    <message>
        <source>Milliseconds to wait for a connection, an acknowledgement or a reply before it counts as an error (default 10000).</source>
        <translation>Milisegundos que se espera una conexión, una confirmación o una respuesta antes de considerarlo un error (predeterminado: 10000).</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>Milliseconds a session&apos;s rows may take to reach the database after it ended; verification looks again until then before it reports a difference (default 5000).</source>
        <translation>Milisegundos que pueden tardar las filas de una sesión en llegar a la base de datos después de que finalice; hasta entonces, la verificación vuelve a comprobar antes de informar de una diferencia (predeterminado: 5000).</translation>
    </message>
    <message>
        <source>Seconds duration_seconds may differ from the duration the client saw (default 1).</source>
        <translation>Segundos en que duration_seconds puede diferir de la duración que observó el cliente (predeterminado: 1).</translation>
    </message>
    <message>
        <source>Do not ask the server for message.persisted frames (no persisted latency without --verify).</source>
        <translation>No pedir al servidor tramas message.persisted (sin latencia de persistencia si no se usa --verify).</translation>
    </message>
    <message>
        <source>Seed for the random think times, to repeat a run exactly.</source>
        <translation>Semilla para los tiempos de reflexión aleatorios, para repetir una ejecución exactamente.</translation>
    </message>
    <message>
        <source>No progress line, even on a terminal.</source>
        <translation>Sin línea de progreso, ni siquiera en un terminal.</translation>
    </message>
    <message>
        <source>Name the scenario file to run: see --help.</source>
        <translation>Indique el archivo de escenario que se ejecutará: consulte --help.</translation>
    </message>
    <message>
        <source>The server URL &quot;%1&quot; is not a WebSocket URL: use ws://host:port/v1/conversation.</source>
        <translation>La URL del servidor «%1» no es una URL WebSocket: use ws://host:port/v1/conversation.</translation>
    </message>
    <message>
        <source>--tolerance expects seconds from 0 to 3600, not &quot;%1&quot;: see --help.</source>
        <translation>--tolerance espera segundos de 0 a 3600, no «%1»: consulte --help.</translation>
    </message>
    <message>
        <source>--seed expects a whole number above 0, not &quot;%1&quot;: see --help.</source>
        <translation>--seed espera un número entero mayor que 0, no «%1»: consulte --help.</translation>
    </message>
    <message>
        <source>The scenario&apos;s min_persisted_ratio needs --verify or message.persisted frames: drop --no-persisted or add --verify.</source>
        <translation>El min_persisted_ratio del escenario requiere --verify o tramas message.persisted: quite --no-persisted o añada --verify.</translation>
    </message>
    <message>
        <source>%1 sessions at once need as many open files, but this process may open only %2: raise the limit (ulimit -n %3) or lower the concurrency.</source>
        <translation>%1 sesiones a la vez requieren otros tantos archivos abiertos, pero este proceso solo puede abrir %2: aumente el límite (ulimit -n %3) o reduzca la concurrencia.</translation>
    </message>
    <message>
        <source>Stopping: no new sessions; open ones finish their turn and end (Ctrl+C again to abort).</source>
        <translation>Deteniendo: no se inician sesiones nuevas; las abiertas terminan su turno y finalizan (pulse Ctrl+C de nuevo para interrumpir).</translation>
    </message>
    <message>
        <source>Aborting the open connections.</source>
        <translation>Interrumpiendo las conexiones abiertas.</translation>
    </message>
    <message>
        <source>Append realistic conversations to a database, fast</source>
        <translation>Añadir conversaciones realistas a una base de datos, rápidamente</translation>
    </message>
    <message>
        <source>Say how many with --%1 (a whole number from %2 to %3): see --help.</source>
        <translation>Indique cuántas con --%1 (un número entero de %2 a %3): consulte --help.</translation>
    </message>
    <message>
        <source>%1 rows written, committing…</source>
        <translation>%1 filas escritas, confirmando…</translation>
    </message>
    <message>
        <source>%1 / %2 rows (%3%), %4 rows/s, ETA %5</source>
        <translation>%1 / %2 filas (%3%), %4 filas/s, tiempo restante %5</translation>
    </message>
    <message>
        <source>Appends realistic conversations to a migrated database: sessions spread over the last days (ended ones with durations from seconds to half an hour, a share still open), each with a system prompt and alternating user and agent messages with metadata and audio URLs. The rows pass voxtrack-cli doctor. Everything is written in one transaction: on failure or Ctrl+C nothing is left behind. Exit code 0: done; 2: could not seed.</source>
        <translation>Añade conversaciones realistas a una base de datos migrada: sesiones repartidas en los últimos días (las finalizadas con duraciones de segundos a media hora, una parte aún abiertas), cada una con un prompt de sistema y mensajes alternos de usuario y agente con metadatos y URL de audio. Las filas superan voxtrack-cli doctor. Todo se escribe en una única transacción: si algo falla o se pulsa Ctrl+C, no queda nada. Código de salida 0: hecho; 2: no se pudieron generar los datos.</translation>
    </message>
    <message>
        <source>How many sessions to write (1 to 10,000,000).</source>
        <translation>Cuántas sesiones escribir (de 1 a 10.000.000).</translation>
    </message>
    <message>
        <source>Messages in every session, the system prompt included (0 to 1,000).</source>
        <translation>Mensajes en cada sesión, incluido el prompt de sistema (de 0 a 1.000).</translation>
    </message>
    <message>
        <source>m</source>
        <translation>m</translation>
    </message>
    <message>
        <source>How many users the sessions belong to (default: sessions / 20, at least 1).</source>
        <translation>A cuántos usuarios pertenecen las sesiones (predeterminado: sesiones / 20, al menos 1).</translation>
    </message>
    <message>
        <source>Ended sessions start within this many days back from now (default 30).</source>
        <translation>Las sesiones finalizadas empiezan como máximo este número de días atrás (predeterminado: 30).</translation>
    </message>
    <message>
        <source>Percentage of sessions still open, started within the last hour (default 1).</source>
        <translation>Porcentaje de sesiones aún abiertas, iniciadas en la última hora (predeterminado: 1).</translation>
    </message>
    <message>
        <source>percent</source>
        <translation>porcentaje</translation>
    </message>
    <message>
        <source>Repeat the content of an earlier run (users, texts, metadata, times relative to now); random when not given. Session and message ids are always fresh.</source>
        <translation>Repetir el contenido de una ejecución anterior (usuarios, textos, metadatos, tiempos relativos al momento actual); aleatorio si no se indica. Los identificadores de sesión y de mensaje son siempre nuevos.</translation>
    </message>
    <message>
        <source>--active expects a percentage from 0 to 100, not &quot;%1&quot;: see --help.</source>
        <translation>--active espera un porcentaje de 0 a 100, no «%1»: consulte --help.</translation>
    </message>
    <message>
        <source>--seed expects a whole number from 0 to %1, not &quot;%2&quot;: see --help.</source>
        <translation>--seed espera un número entero de 0 a %1, no «%2»: consulte --help.</translation>
    </message>
    <message>
        <source>There is no SQLite database at %1: create it with voxtrack-cli migrate --db %2, then seed it.</source>
        <translation>No hay ninguna base de datos SQLite en %1: créela con voxtrack-cli migrate --db %2 y después genere los datos.</translation>
    </message>
    <message>
        <source>Seeded %1: %2 sessions (%3 open) with %4 messages for %5 users.
</source>
        <translation>Datos generados en %1: %2 sesiones (%3 abiertas) con %4 mensajes para %5 usuarios.
</translation>
    </message>
    <message>
        <source>%1 rows in %2 s: %3 rows/s. Seed %4 repeats this content.
</source>
        <translation>%1 filas en %2 s: %3 filas/s. La semilla %4 repite este contenido.
</translation>
    </message>
    <message>
        <source>Runs the conversations of a scenario file (docs/scenarios.md) against a server speaking protocol v1: from one session to thousands at once, with think times, expectations on each reply and captured values. With --verify, each finished session is compared with the database: the session row and every message, role, content and duration, and the stored audio of every spoken turn. Thresholds in the scenario decide the exit code: 0 every threshold holds and verification is clean, 1 otherwise, 2 the run could not take place. Ctrl+C stops the run gracefully and still writes the report; a second Ctrl+C aborts the open connections.</source>
        <translation>Ejecuta las conversaciones de un archivo de escenario (docs/scenarios.md) contra un servidor que habla el protocolo v1: desde una sesión hasta miles a la vez, con tiempos de reflexión, expectativas sobre cada respuesta y valores capturados. Con --verify, cada sesión finalizada se compara con la base de datos: la fila de la sesión y cada mensaje, rol, contenido y duración, y el audio almacenado de cada turno hablado. Los umbrales del escenario deciden el código de salida: 0 si se cumplen todos los umbrales y la verificación no encuentra nada, 1 en caso contrario, 2 si la ejecución no pudo realizarse. Ctrl+C detiene la ejecución de forma ordenada y aun así escribe el informe; un segundo Ctrl+C interrumpe las conexiones abiertas.</translation>
    </message>
    <message>
        <source>How spoken turns send their audio: realtime (one 20 ms frame every 20 ms) or fast (all at once), instead of the scenario&apos;s &quot;audio&quot;.&quot;pacing&quot;.</source>
        <translation>Cómo envían su audio los turnos hablados: realtime (una trama de 20 ms cada 20 ms) o fast (todo de una vez), en lugar del &quot;audio&quot;.&quot;pacing&quot; del escenario.</translation>
    </message>
    <message>
        <source>mode</source>
        <translation>modo</translation>
    </message>
    <message>
        <source>--pacing expects realtime or fast, not &quot;%1&quot;: see --help.</source>
        <translation>--pacing espera realtime o fast, no «%1»: consulte --help.</translation>
    </message>
    <message>
        <source>Leave audio_url NULL on every message (by default most agent messages get an example URL that serves nothing: use this for data a player will open).</source>
        <translation>Dejar audio_url en NULL en cada mensaje (por defecto, la mayoría de los mensajes del agente reciben una URL de ejemplo que no sirve nada: úselo para datos que abrirá un reproductor).</translation>
    </message>
</context>
<context>
    <name>voxtrack::cli::FilterOptions</name>
    <message>
        <source>Only the sessions of this user_id.</source>
        <translation>Solo las sesiones de este user_id.</translation>
    </message>
    <message>
        <source>id</source>
        <translation>id</translation>
    </message>
    <message>
        <source>Only sessions still active.</source>
        <translation>Solo las sesiones aún activas.</translation>
    </message>
    <message>
        <source>Only sessions that have ended.</source>
        <translation>Solo las sesiones que han finalizado.</translation>
    </message>
    <message>
        <source>Only sessions started at or after this time: ISO 8601 (2025-10-18T09:30:00Z; UTC when no offset is given) or a span back from now (30m, 2h, 3d, 1w).</source>
        <translation>Solo las sesiones iniciadas en este momento o después: ISO 8601 (2025-10-18T09:30:00Z; UTC si no se indica desplazamiento) o un intervalo hacia atrás desde ahora (30m, 2h, 3d, 1w).</translation>
    </message>
    <message>
        <source>time</source>
        <translation>tiempo</translation>
    </message>
</context>
<context>
    <name>voxtrack::client</name>
    <message>
        <source>%1: %2 (limit %3 %4)</source>
        <translation>%1: %2 (límite %3 %4)</translation>
    </message>
    <message>
        <source>session %1</source>
        <translation>sesión %1</translation>
    </message>
    <message>
        <source>expected &quot;%1&quot;, got &quot;%2&quot;</source>
        <translation>se esperaba «%1», se obtuvo «%2»</translation>
    </message>
    <message>
        <source>Could not write the report %1: %2.</source>
        <translation>No se pudo escribir el informe %1: %2.</translation>
    </message>
    <message>
        <source>Could not create the report directory %1.</source>
        <translation>No se pudo crear el directorio del informe %1.</translation>
    </message>
    <message>
        <source>set</source>
        <translation>definido</translation>
    </message>
    <message>
        <source>The message %1 was sent as voice, but its audio_url is NULL: the server did not store the audio.</source>
        <translation>El mensaje %1 se envió como voz, pero su audio_url es NULL: el servidor no almacenó el audio.</translation>
    </message>
    <message>
        <source>an http URL</source>
        <translation>una URL http</translation>
    </message>
    <message>
        <source>The audio_url of the message %1 is not an http URL (%2): the server must store where it serves the audio.</source>
        <translation>El audio_url del mensaje %1 no es una URL http (%2): el servidor debe almacenar dónde sirve el audio.</translation>
    </message>
    <message>
        <source>Fetching the audio of the message %1 from %2 failed (%3): check that the server serves the audio it stored.</source>
        <translation>No se pudo obtener el audio del mensaje %1 desde %2 (%3): compruebe que el servidor sirve el audio que almacenó.</translation>
    </message>
    <message>
        <source>a WAV file</source>
        <translation>un archivo WAV</translation>
    </message>
    <message>
        <source>16000 Hz, 1 channel, 16 bits</source>
        <translation>16000 Hz, 1 canal, 16 bits</translation>
    </message>
    <message>
        <source>%1 Hz, %2 channel(s), %3 bits</source>
        <translation>%1 Hz, %2 canal(es), %3 bits</translation>
    </message>
    <message>
        <source>The audio of the message %1 is %2 Hz, %3 channel(s), %4 bits, but 16000 Hz mono 16-bit audio was sent: the server must store the PCM as it arrived.</source>
        <translation>El audio del mensaje %1 es de %2 Hz, %3 canal(es), %4 bits, pero se envió audio de 16000 Hz mono de 16 bits: el servidor debe almacenar el PCM tal como llegó.</translation>
    </message>
    <message>
        <source>The audio of the message %1 lasts %2 s, but %3 s were sent: audio was lost or added on the way.</source>
        <translation>El audio del mensaje %1 dura %2 s, pero se enviaron %3 s: se perdió o se añadió audio por el camino.</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::LatencyHistogram</name>
    <message>
        <source>The histogram data is not valid: %1.</source>
        <translation>Los datos del histograma no son válidos: %1.</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::RunReport</name>
    <message>
        <source>voxtrack drive: %1 against %2
</source>
        <translation>voxtrack drive: %1 contra %2
</translation>
    </message>
    <message>
        <source>started %1, ran %2 s%3
</source>
        <translation>iniciado %1, duración %2 s%3
</translation>
    </message>
    <message>
        <source> (interrupted)</source>
        <translation> (interrumpido)</translation>
    </message>
    <message>
        <source>sessions: %1 planned, %2 started, %3 completed, %4 failed
</source>
        <translation>sesiones: %1 previstas, %2 iniciadas, %3 completadas, %4 fallidas
</translation>
    </message>
    <message>
        <source>messages: %1 sent, %2 acknowledged, %3 persisted
</source>
        <translation>mensajes: %1 enviados, %2 confirmados, %3 persistidos
</translation>
    </message>
    <message>
        <source>latency (ms)</source>
        <translation>latencia (ms)</translation>
    </message>
    <message>
        <source>count</source>
        <translation>cantidad</translation>
    </message>
    <message>
        <source>max</source>
        <translation>máx.</translation>
    </message>
    <message>
        <source>mean</source>
        <translation>media</translation>
    </message>
    <message>
        <source>connect</source>
        <translation>conexión</translation>
    </message>
    <message>
        <source>ack</source>
        <translation>confirmación</translation>
    </message>
    <message>
        <source>reply</source>
        <translation>respuesta</translation>
    </message>
    <message>
        <source>persisted</source>
        <translation>persistido</translation>
    </message>
    <message>
        <source>thresholds:</source>
        <translation>umbrales:</translation>
    </message>
    <message>
        <source>PASS</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>FAIL</source>
        <translation>FALLO</translation>
    </message>
    <message>
        <source>verification: not run</source>
        <translation>verificación: no ejecutada</translation>
    </message>
    <message>
        <source>verification: the database matches the conversations</source>
        <translation>verificación: la base de datos coincide con las conversaciones</translation>
    </message>
    <message>
        <source>findings: %1</source>
        <translation>hallazgos: %1</translation>
    </message>
    <message>
        <source>… and %1 more (see summary.json)</source>
        <translation>… y %1 más (consulte summary.json)</translation>
    </message>
    <message>
        <source>errors by code:</source>
        <translation>errores por código:</translation>
    </message>
    <message>
        <source>PASSED</source>
        <translation>SUPERADO</translation>
    </message>
    <message>
        <source>FAILED: %1 threshold(s) failed, %2 finding(s)</source>
        <translation>FALLIDO: %1 umbral(es) no cumplido(s), %2 hallazgo(s)</translation>
    </message>
    <message>
        <source>turn %1: %2</source>
        <translation>turno %1: %2</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>fallido</translation>
    </message>
    <message>
        <source>verification was not run</source>
        <translation>la verificación no se ejecutó</translation>
    </message>
    <message>
        <source>%1 finding(s)</source>
        <translation>%1 hallazgo(s)</translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation>… y %1 más</translation>
    </message>
    <message>
        <source>throughput: %1 messages/s, %2 replies/s; peak concurrency %3 sessions
</source>
        <translation>rendimiento: %1 mensajes/s, %2 respuestas/s; concurrencia máxima %3 sesiones
</translation>
    </message>
    <message>
        <source>client: %1 thread(s), %2 s CPU (%3 µs per message), peak memory %4 MB
</source>
        <translation>cliente: %1 hilo(s), %2 s de CPU (%3 µs por mensaje), memoria máxima %4 MB
</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::Scenario</name>
    <message>
        <source>the &quot;}&quot; at offset %1 closes no placeholder: write }} for a literal brace.</source>
        <translation>la «}» en la posición %1 no cierra ningún marcador: escriba }} para una llave literal.</translation>
    </message>
    <message>
        <source>the &quot;{&quot; at offset %1 is not closed: end the placeholder with &quot;}&quot;, or write {{ for a literal brace.</source>
        <translation>la «{» en la posición %1 no está cerrada: termine el marcador con «}» o escriba {{ para una llave literal.</translation>
    </message>
    <message>
        <source>a whole number of milliseconds from %1 to %2</source>
        <translation>un número entero de milisegundos de %1 a %2</translation>
    </message>
    <message>
        <source>a JSON object</source>
        <translation>un objeto JSON</translation>
    </message>
    <message>
        <source>%1: the regular expression is invalid (%2 at offset %3): fix the pattern.</source>
        <translation>%1: la expresión regular no es válida (%2 en la posición %3): corrija el patrón.</translation>
    </message>
    <message>
        <source>%1: the placeholder {%2} is not known: %3</source>
        <translation>%1: el marcador {%2} no es conocido: %3</translation>
    </message>
    <message>
        <source>use {n} for the session number, and {{ and }} for literal braces.</source>
        <translation>use {n} para el número de sesión, y {{ y }} para llaves literales.</translation>
    </message>
    <message>
        <source>a whole number of milliseconds from 0 to %1, or a range [min, max] of two such numbers</source>
        <translation>un número entero de milisegundos de 0 a %1, o un intervalo [min, max] de dos números así</translation>
    </message>
    <message>
        <source>a whole number of milliseconds from 0 to %1</source>
        <translation>un número entero de milisegundos de 0 a %1</translation>
    </message>
    <message>
        <source>%1: the range [%2, %3] is inverted: write the shorter time first.</source>
        <translation>%1: el intervalo [%2, %3] está invertido: escriba primero el tiempo más corto.</translation>
    </message>
    <message>
        <source>an object with &quot;contains&quot;, &quot;regex&quot;, &quot;within_ms&quot; or &quot;role&quot;</source>
        <translation>un objeto con &quot;contains&quot;, &quot;regex&quot;, &quot;within_ms&quot; o &quot;role&quot;</translation>
    </message>
    <message>
        <source>one of %1</source>
        <translation>uno de %1</translation>
    </message>
    <message>
        <source>an object of names and regular expressions</source>
        <translation>un objeto de nombres y expresiones regulares</translation>
    </message>
    <message>
        <source>%1: the name is not usable as a placeholder: start with a letter and use only letters, digits and &quot;_&quot;.</source>
        <translation>%1: el nombre no se puede usar como marcador: empiece con una letra y use solo letras, dígitos y «_».</translation>
    </message>
    <message>
        <source>%1: the name is reserved for the placeholder {%2}: choose another name.</source>
        <translation>%1: el nombre está reservado para el marcador {%2}: elija otro nombre.</translation>
    </message>
    <message>
        <source>an object with &quot;say&quot;</source>
        <translation>un objeto con &quot;say&quot;</translation>
    </message>
    <message>
        <source>use {n} or {user_id}, capture the value in an earlier turn&apos;s &quot;capture&quot;, and write {{ and }} for literal braces.</source>
        <translation>use {n} o {user_id}, capture el valor en el &quot;capture&quot; de un turno anterior y escriba {{ y }} para llaves literales.</translation>
    </message>
    <message>
        <source>use {n}, {user_id} or a value captured by an earlier turn (%1), and write {{ and }} for literal braces.</source>
        <translation>use {n}, {user_id} o un valor capturado por un turno anterior (%1), y escriba {{ y }} para llaves literales.</translation>
    </message>
    <message>
        <source>%1: the placeholder {%2} is captured only by this turn or a later one: capture it in an earlier turn, since a value can be used only after the reply it comes from.</source>
        <translation>%1: el marcador {%2} solo lo captura este turno o uno posterior: captúrelo en un turno anterior, ya que un valor solo puede usarse después de la respuesta de la que procede.</translation>
    </message>
    <message>
        <source>%1: only user turns get a reply, and this turn&apos;s role is &quot;%2&quot;: remove it, or make the turn a user turn.</source>
        <translation>%1: solo los turnos de usuario reciben respuesta, y el rol de este turno es &quot;%2&quot;: elimínelo o conviértalo en un turno de usuario.</translation>
    </message>
    <message>
        <source>a whole number of times from %1 to %2</source>
        <translation>un número entero de veces de %1 a %2</translation>
    </message>
    <message>
        <source>an object of limits</source>
        <translation>un objeto de límites</translation>
    </message>
    <message>
        <source>a number of milliseconds above 0 and at most %1</source>
        <translation>un número de milisegundos mayor que 0 y como máximo %1</translation>
    </message>
    <message>
        <source>a number from 0 to 1 (a fraction: 0.01 is 1 %)</source>
        <translation>un número de 0 a 1 (una fracción: 0.01 es el 1 %)</translation>
    </message>
    <message>
        <source>%1.p99_reply_ms: the limit %2 is below p95_reply_ms (%3), so the two look swapped: make p99_reply_ms at least p95_reply_ms.</source>
        <translation>%1.p99_reply_ms: el límite %2 es inferior a p95_reply_ms (%3), así que parecen intercambiados: haga que p99_reply_ms sea al menos p95_reply_ms.</translation>
    </message>
    <message>
        <source>an object with &quot;per_second&quot;</source>
        <translation>un objeto con &quot;per_second&quot;</translation>
    </message>
    <message>
        <source>a number of sessions per second above 0 and at most %1</source>
        <translation>un número de sesiones por segundo mayor que 0 y como máximo %1</translation>
    </message>
    <message>
        <source>a whole number of seconds from %1 to %2</source>
        <translation>un número entero de segundos de %1 a %2</translation>
    </message>
    <message>
        <source>The scenario is not valid JSON (%1 at byte %2): fix the file there.</source>
        <translation>El escenario no es JSON válido (%1 en el byte %2): corrija el archivo en ese punto.</translation>
    </message>
    <message>
        <source>The scenario is an array, not a JSON object: write one object with &quot;version&quot; and &quot;turns&quot;.</source>
        <translation>El escenario es un array, no un objeto JSON: escriba un único objeto con &quot;version&quot; y &quot;turns&quot;.</translation>
    </message>
    <message>
        <source>version: the version %1 is not supported: write a scenario of version 1, as docs/scenarios.md describes.</source>
        <translation>version: la versión %1 no se admite: escriba un escenario de la versión 1, como se describe en docs/scenarios.md.</translation>
    </message>
    <message>
        <source>a whole number of sessions from %1 to %2</source>
        <translation>un número entero de sesiones de %1 a %2</translation>
    </message>
    <message>
        <source>concurrency: %1 sessions at once is more than the %2 sessions of the run: lower &quot;concurrency&quot; or raise &quot;sessions&quot;.</source>
        <translation>concurrency: %1 sesiones a la vez son más que las %2 sesiones de la ejecución: reduzca &quot;concurrency&quot; o aumente &quot;sessions&quot;.</translation>
    </message>
    <message>
        <source>use {n} for the session number or {uuid} for a random UUID, and {{ and }} for literal braces.</source>
        <translation>use {n} para el número de sesión o {uuid} para un UUID aleatorio, y {{ y }} para llaves literales.</translation>
    </message>
    <message>
        <source>an array of at least one turn</source>
        <translation>un array de al menos un turno</translation>
    </message>
    <message>
        <source>turns: the array is empty: add at least one turn with &quot;say&quot;.</source>
        <translation>turns: el array está vacío: añada al menos un turno con &quot;say&quot;.</translation>
    </message>
    <message>
        <source>turns: %1 turns are more than %2: split the conversation or use &quot;repeat&quot;.</source>
        <translation>turns: %1 turnos son más de %2: divida la conversación o use &quot;repeat&quot;.</translation>
    </message>
    <message>
        <source>The scenario file %1 cannot be read (%2): check the path and its permissions.</source>
        <translation>No se puede leer el archivo de escenario %1 (%2): compruebe la ruta y sus permisos.</translation>
    </message>
    <message>
        <source>%1: espeak-ng has no voice &quot;%2&quot;: use one such as en-us, en-gb or de (espeak-ng --voices lists them all).</source>
        <translation>%1: espeak-ng no tiene la voz «%2»: use una como en-us, en-gb o de (espeak-ng --voices las lista todas).</translation>
    </message>
    <message>
        <source>a whole number of words per minute from %1 to %2</source>
        <translation>un número entero de palabras por minuto de %1 a %2</translation>
    </message>
    <message>
        <source>true, false or an object with &quot;name&quot; and &quot;rate&quot;</source>
        <translation>true, false o un objeto con &quot;name&quot; y &quot;rate&quot;</translation>
    </message>
    <message>
        <source>&quot;realtime&quot; or &quot;fast&quot;</source>
        <translation>&quot;realtime&quot; o &quot;fast&quot;</translation>
    </message>
    <message>
        <source>%1: only user turns can be spoken, and this turn&apos;s role is &quot;%2&quot;: remove &quot;voice&quot;, or make the turn a user turn.</source>
        <translation>%1: solo los turnos de usuario pueden ser hablados, y el rol de este turno es &quot;%2&quot;: elimine &quot;voice&quot; o convierta el turno en un turno de usuario.</translation>
    </message>
    <message>
        <source>%1: a spoken turn carries no metadata (audio.end has none): remove &quot;metadata&quot; or &quot;voice&quot;.</source>
        <translation>%1: un turno hablado no lleva metadatos (audio.end no los admite): elimine &quot;metadata&quot; o &quot;voice&quot;.</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::SessionDriver</name>
    <message>
        <source>The server ended the session before its turns were over (reason %1).</source>
        <translation>El servidor finalizó la sesión antes de que terminaran sus turnos (motivo %1).</translation>
    </message>
    <message>
        <source>The reply came from the agent, not from the expected role &quot;%1&quot;.</source>
        <translation>La respuesta vino del agente, no del rol esperado &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>The reply took %1 ms, more than the expected %2 ms.</source>
        <translation>La respuesta tardó %1 ms, más de los %2 ms esperados.</translation>
    </message>
    <message>
        <source>The reply &quot;%1&quot; does not contain &quot;%2&quot;.</source>
        <translation>La respuesta «%1» no contiene «%2».</translation>
    </message>
    <message>
        <source>The reply &quot;%1&quot; does not match /%2/.</source>
        <translation>La respuesta «%1» no coincide con /%2/.</translation>
    </message>
    <message>
        <source>No session.started within %1 ms of connecting.</source>
        <translation>No se recibió session.started en los %1 ms siguientes a la conexión.</translation>
    </message>
    <message>
        <source>No reply within %1 ms (the run&apos;s reply timeout).</source>
        <translation>No se recibió respuesta en %1 ms (el tiempo de espera de respuesta de la ejecución).</translation>
    </message>
    <message>
        <source>No message.ack within %1 ms (the run&apos;s reply timeout).</source>
        <translation>No se recibió message.ack en %1 ms (el tiempo de espera de respuesta de la ejecución).</translation>
    </message>
    <message>
        <source>No session.ended within %1 ms of session.end.</source>
        <translation>No se recibió session.ended en los %1 ms siguientes a session.end.</translation>
    </message>
    <message>
        <source>The server did not close the connection within %1 ms of session.ended.</source>
        <translation>El servidor no cerró la conexión en los %1 ms siguientes a session.ended.</translation>
    </message>
    <message>
        <source>The connection closed while a reply was awaited.</source>
        <translation>La conexión se cerró mientras se esperaba una respuesta.</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::Verifier</name>
    <message>
        <source>The session %1 is not in conversation_sessions: the session start was never stored.</source>
        <translation>La sesión %1 no está en conversation_sessions: el inicio de la sesión nunca se almacenó.</translation>
    </message>
    <message>
        <source>The session is stored for user %1, but the server told the client %2.</source>
        <translation>La sesión está almacenada para el usuario %1, pero el servidor le indicó al cliente %2.</translation>
    </message>
    <message>
        <source>The session&apos;s metadata is not what the client sent.</source>
        <translation>Los metadatos de la sesión no son los que envió el cliente.</translation>
    </message>
    <message>
        <source>set</source>
        <translation>definido</translation>
    </message>
    <message>
        <source>The client received session.ended, but the session has no ended_at.</source>
        <translation>El cliente recibió session.ended, pero la sesión no tiene ended_at.</translation>
    </message>
    <message>
        <source>The client received session.ended, but the session is still active.</source>
        <translation>El cliente recibió session.ended, pero la sesión sigue activa.</translation>
    </message>
    <message>
        <source>The ended session has no duration_seconds.</source>
        <translation>La sesión finalizada no tiene duration_seconds.</translation>
    </message>
    <message>
        <source>duration_seconds differs from the duration session.ended reported by more than %1 s.</source>
        <translation>duration_seconds difiere en más de %1 s de la duración que indicó session.ended.</translation>
    </message>
    <message>
        <source>duration_seconds differs from the duration the client observed by more than %1 s.</source>
        <translation>duration_seconds difiere en más de %1 s de la duración que observó el cliente.</translation>
    </message>
    <message>
        <source>duration_seconds differs from ended_at - started_at by more than %1 s.</source>
        <translation>duration_seconds difiere en más de %1 s de ended_at - started_at.</translation>
    </message>
    <message>
        <source>message_count is %1, but session.ended reported %2 messages.</source>
        <translation>message_count es %1, pero session.ended indicó %2 mensajes.</translation>
    </message>
    <message>
        <source>end_reason is &quot;%1&quot;, but session.ended reported &quot;%2&quot;.</source>
        <translation>end_reason es &quot;%1&quot;, pero session.ended indicó &quot;%2&quot;.</translation>
    </message>
    <message>
        <source>The message %1 is stored %2 times: a retried write was not deduplicated.</source>
        <translation>El mensaje %1 está almacenado %2 veces: una escritura reintentada no se deduplicó.</translation>
    </message>
    <message>
        <source>The message at seq %1 (%2) was acknowledged but is not in conversation_messages.</source>
        <translation>El mensaje con seq %1 (%2) se confirmó, pero no está en conversation_messages.</translation>
    </message>
    <message>
        <source>The message %1 is stored with role &quot;assistant&quot;: agent replies must be stored as &quot;agent&quot;.</source>
        <translation>El mensaje %1 está almacenado con el rol &quot;assistant&quot;: las respuestas del agente deben almacenarse como &quot;agent&quot;.</translation>
    </message>
    <message>
        <source>The message %1 is stored with role &quot;%2&quot; instead of &quot;%3&quot;.</source>
        <translation>El mensaje %1 está almacenado con el rol &quot;%2&quot; en lugar de &quot;%3&quot;.</translation>
    </message>
    <message>
        <source>The content of the message %1 is not what was exchanged.</source>
        <translation>El contenido del mensaje %1 no es el que se intercambió.</translation>
    </message>
    <message>
        <source>The metadata of the message %1 is not what was exchanged.</source>
        <translation>Los metadatos del mensaje %1 no son los que se intercambiaron.</translation>
    </message>
    <message>
        <source>The audio_url of the message %1 is not what was exchanged.</source>
        <translation>El audio_url del mensaje %1 no es el que se intercambió.</translation>
    </message>
    <message>
        <source>The message %1 is stored at seq %2, but was exchanged at seq %3.</source>
        <translation>El mensaje %1 está almacenado con seq %2, pero se intercambió con seq %3.</translation>
    </message>
    <message>
        <source>The message row %1 (seq %2, role &quot;%3&quot;) was never exchanged with the client.</source>
        <translation>La fila de mensaje %1 (seq %2, rol &quot;%3&quot;) nunca se intercambió con el cliente.</translation>
    </message>
    <message numerus="yes">
        <source>%n byte(s)</source>
        <translation>
            <numerusform>%n byte</numerusform>
            <numerusform>%n bytes</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>voxtrack::client::VerifyWorker</name>
    <message>
        <source>The session could not be verified: %1 [%2]</source>
        <translation>No se pudo verificar la sesión: %1 [%2]</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::VoiceClient</name>
    <message>
        <source>Could not connect to %1 (%2): check the server URL and that the server runs.</source>
        <translation>No se pudo conectar a %1 (%2): compruebe la URL del servidor y que el servidor esté en ejecución.</translation>
    </message>
    <message>
        <source>The server closed the connection before the session ended (code %1: %2).</source>
        <translation>El servidor cerró la conexión antes de que finalizara la sesión (código %1: %2).</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::BubbleDelegate</name>
    <message>
        <source>User</source>
        <translation>Usuario</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Agente</translation>
    </message>
    <message>
        <source>System</source>
        <translation>Sistema</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Error</translation>
    </message>
    <message>
        <source>(no role)</source>
        <translation>(sin rol)</translation>
    </message>
    <message>
        <source>The database does not allow the role &quot;%1&quot;: the agent&apos;s role is &quot;agent&quot;.</source>
        <translation>La base de datos no permite el rol &quot;%1&quot;: el rol del agente es &quot;agent&quot;.</translation>
    </message>
    <message>
        <source>The database does not allow the role &quot;%1&quot;: the allowed roles are %2.</source>
        <translation>La base de datos no permite el rol &quot;%1&quot;: los roles permitidos son %2.</translation>
    </message>
    <message>
        <source>Stop playing this message (Space)</source>
        <translation>Detener la reproducción de este mensaje (Espacio)</translation>
    </message>
    <message>
        <source>Play this message&apos;s audio (Space)</source>
        <translation>Reproducir el audio de este mensaje (Espacio)</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::CallPlayer</name>
    <message>
        <source>There is no audio output device: connect speakers or headphones to play recordings.</source>
        <translation>No hay ningún dispositivo de salida de audio: conecte altavoces o auriculares para reproducir grabaciones.</translation>
    </message>
    <message>
        <source>The recording at %1 could not be played (%2): check the system&apos;s sound settings and try again.</source>
        <translation>No se pudo reproducir la grabación en %1 (%2): compruebe la configuración de sonido del sistema e inténtelo de nuevo.</translation>
    </message>
    <message>
        <source>The message&apos;s audio_url &quot;%1&quot; is not a URL: it should be like http://host:port/audio/&lt;id&gt;.wav.</source>
        <translation>El audio_url «%1» del mensaje no es una URL: debería tener la forma http://host:port/audio/&lt;id&gt;.wav.</translation>
    </message>
    <message>
        <source>There is no recording at %1 (HTTP 404): check that the app is connected to the server that recorded this call.</source>
        <translation>No hay ninguna grabación en %1 (HTTP 404): compruebe que la aplicación está conectada al servidor que grabó esta llamada.</translation>
    </message>
    <message>
        <source>The recording at %1 could not be fetched (%2): check that voxtrackd is running and try again.</source>
        <translation>No se pudo obtener la grabación en %1 (%2): compruebe que voxtrackd se esté ejecutando e inténtelo de nuevo.</translation>
    </message>
    <message>
        <source>The recording at %1 is not a WAV file: check that the message&apos;s audio_url points at voxtrackd&apos;s /audio/ path.</source>
        <translation>La grabación en %1 no es un archivo WAV: compruebe que el audio_url del mensaje apunta a la ruta /audio/ de voxtrackd.</translation>
    </message>
    <message>
        <source>The recording at %1 could not be kept for playing (%2): free some space in the temporary directory and try again.</source>
        <translation>No se pudo conservar la grabación en %1 para reproducirla (%2): libere espacio en el directorio temporal e inténtelo de nuevo.</translation>
    </message>
    <message>
        <source>error %1</source>
        <translation>error %1</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::ConnectionBar</name>
    <message>
        <source>%1 has no conversation tables: run voxtrack-cli migrate --db %1 to create them, or choose a conversation database.</source>
        <translation>%1 no tiene tablas de conversaciones: ejecute voxtrack-cli migrate --db %1 para crearlas o elija una base de datos de conversaciones.</translation>
    </message>
    <message numerus="yes">
        <source>SQLite · %1 · %Ln session(s)</source>
        <translation>
            <numerusform>SQLite · %1 · %Ln sesión</numerusform>
            <numerusform>SQLite · %1 · %Ln sesiones</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>PostgreSQL %1 · %Ln session(s)</source>
        <translation>
            <numerusform>PostgreSQL %1 · %Ln sesión</numerusform>
            <numerusform>PostgreSQL %1 · %Ln sesiones</numerusform>
        </translation>
    </message>
    <message>
        <source>Invalid URL</source>
        <translation>URL no válida</translation>
    </message>
    <message>
        <source>Login refused</source>
        <translation>Inicio de sesión rechazado</translation>
    </message>
    <message>
        <source>No such database</source>
        <translation>No existe la base de datos</translation>
    </message>
    <message>
        <source>Unreachable</source>
        <translation>Inaccesible</translation>
    </message>
    <message>
        <source>TLS failed</source>
        <translation>Fallo de TLS</translation>
    </message>
    <message>
        <source>No SQL driver</source>
        <translation>Sin controlador SQL</translation>
    </message>
    <message>
        <source>No conversation tables</source>
        <translation>Sin tablas de conversaciones</translation>
    </message>
    <message>
        <source>Refused</source>
        <translation>Rechazado</translation>
    </message>
    <message>
        <source>Unsaved connection</source>
        <translation>Conexión sin guardar</translation>
    </message>
    <message>
        <source>Not connected</source>
        <translation>Sin conexión</translation>
    </message>
    <message>
        <source>Not connected to a database.</source>
        <translation>No hay conexión a una base de datos.</translation>
    </message>
    <message>
        <source>Not connected to a server.</source>
        <translation>No hay conexión a un servidor.</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Conectando…</translation>
    </message>
    <message>
        <source>Waiting for the system keychain to give the profile&apos;s password.</source>
        <translation>Esperando a que el llavero del sistema proporcione la contraseña del perfil.</translation>
    </message>
    <message>
        <source>Saved the profile &quot;%1&quot;.</source>
        <translation>Se guardó el perfil «%1».</translation>
    </message>
    <message>
        <source>Saved the profile &quot;%1&quot;; its password is in the system keychain.</source>
        <translation>Se guardó el perfil «%1»; su contraseña está en el llavero del sistema.</translation>
    </message>
    <message>
        <source>Saved the profile &quot;%1&quot; without its password.</source>
        <translation>Se guardó el perfil «%1» sin su contraseña.</translation>
    </message>
    <message>
        <source>the password was not saved</source>
        <translation>la contraseña no se guardó</translation>
    </message>
    <message>
        <source>Choose the profile to delete first.</source>
        <translation>Elija primero el perfil que desea eliminar.</translation>
    </message>
    <message>
        <source>There is no saved profile &quot;%1&quot; to delete.</source>
        <translation>No hay ningún perfil guardado «%1» que eliminar.</translation>
    </message>
    <message>
        <source>Deleted the profile &quot;%1&quot;.</source>
        <translation>Se eliminó el perfil «%1».</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>Conectando a %1…</translation>
    </message>
    <message>
        <source>Connected to %1: %2.</source>
        <translation>Conectado a %1: %2.</translation>
    </message>
    <message>
        <source>No server</source>
        <translation>Sin servidor</translation>
    </message>
    <message>
        <source>No server: the inspector works with the database alone; give a server URL to drive conversations.</source>
        <translation>Sin servidor: el inspector trabaja solo con la base de datos; indique una URL de servidor para ejecutar conversaciones.</translation>
    </message>
    <message>
        <source>The server URL &quot;%1&quot; is not valid: write it as ws://host:port/v1/conversation or http://host:port.</source>
        <translation>La URL del servidor «%1» no es válida: escríbala como ws://host:port/v1/conversation o http://host:port.</translation>
    </message>
    <message>
        <source>Asking %1 for its health…</source>
        <translation>Consultando el estado de %1…</translation>
    </message>
    <message>
        <source>Not voxtrackd</source>
        <translation>No es voxtrackd</translation>
    </message>
    <message>
        <source>%1 answered (HTTP %2), but not as voxtrackd does: check that the server URL points at voxtrackd.</source>
        <translation>%1 respondió (HTTP %2), pero no como lo hace voxtrackd: compruebe que la URL del servidor apunta a voxtrackd.</translation>
    </message>
    <message>
        <source>Nothing answers at %1: start voxtrackd there (voxtrackd --listen %1), or clear the server URL to work with the database alone.</source>
        <translation>Nada responde en %1: inicie voxtrackd ahí (voxtrackd --listen %1) o vacíe la URL del servidor para trabajar solo con la base de datos.</translation>
    </message>
    <message>
        <source>No answer</source>
        <translation>Sin respuesta</translation>
    </message>
    <message>
        <source>The server at %1 did not answer within %2 seconds: check the address, and that voxtrackd is running there.</source>
        <translation>El servidor en %1 no respondió en %2 segundos: compruebe la dirección y que voxtrackd se esté ejecutando ahí.</translation>
    </message>
    <message>
        <source>Unknown host</source>
        <translation>Host desconocido</translation>
    </message>
    <message>
        <source>The server host &quot;%1&quot; is unknown: check its name in the server URL.</source>
        <translation>El host del servidor «%1» es desconocido: compruebe su nombre en la URL del servidor.</translation>
    </message>
    <message>
        <source>The TLS handshake with %1 failed (%2): check the server&apos;s certificate, or use ws:// for a server without TLS.</source>
        <translation>Falló la negociación TLS con %1 (%2): compruebe el certificado del servidor o use ws:// para un servidor sin TLS.</translation>
    </message>
    <message>
        <source>Could not reach the server at %1 (%2): check the server URL, and that voxtrackd is running there.</source>
        <translation>No se pudo acceder al servidor en %1 (%2): compruebe la URL del servidor y que voxtrackd se esté ejecutando ahí.</translation>
    </message>
    <message numerus="yes">
        <source>voxtrackd %1 · %Ln live session(s)</source>
        <translation>
            <numerusform>voxtrackd %1 · %Ln sesión en curso</numerusform>
            <numerusform>voxtrackd %1 · %Ln sesiones en curso</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>voxtrackd %1 at %2 is up, with its database: %Ln live session(s).</source>
        <translation>
            <numerusform>voxtrackd %1 en %2 está en funcionamiento, con su base de datos: %Ln sesión en curso.</numerusform>
            <numerusform>voxtrackd %1 en %2 está en funcionamiento, con su base de datos: %Ln sesiones en curso.</numerusform>
        </translation>
    </message>
    <message>
        <source>voxtrackd %1 · degraded</source>
        <translation>voxtrackd %1 · degradado</translation>
    </message>
    <message>
        <source>voxtrackd %1 at %2 answers, but has not reached its database (yet): it keeps what it is sent in its journal until the database takes it.</source>
        <translation>voxtrackd %1 en %2 responde, pero (todavía) no ha llegado a su base de datos: guarda lo que recibe en su diario hasta que la base de datos lo acepte.</translation>
    </message>
    <message>
        <source>the profile&apos;s password was not read</source>
        <translation>no se leyó la contraseña del perfil</translation>
    </message>
    <message>
        <source>The system keychain refused access: %1; put it in ~/.pgpass or PGPASSWORD.</source>
        <translation>El llavero del sistema denegó el acceso: %1; póngala en ~/.pgpass o PGPASSWORD.</translation>
    </message>
    <message>
        <source>No system keychain: %1; put it in ~/.pgpass or PGPASSWORD.</source>
        <translation>No hay llavero del sistema: %1; póngala en ~/.pgpass o PGPASSWORD.</translation>
    </message>
    <message>
        <source>voxtrackd at %1 stopped answering: %2 The connection is kept; it recovers when the server answers again.</source>
        <translation>voxtrackd en %1 ha dejado de responder: %2 La conexión se mantiene; se recupera cuando el servidor vuelva a responder.</translation>
    </message>
    <message>
        <source>Not answering</source>
        <translation>No responde</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::ConnectionProfiles</name>
    <message>
        <source>The profile has no name: type one in the profile box first.</source>
        <translation>El perfil no tiene nombre: escriba primero uno en el cuadro de perfil.</translation>
    </message>
    <message>
        <source>The profile name &quot;%1&quot; cannot hold / or \ or start or end with a space: choose another name.</source>
        <translation>El nombre de perfil «%1» no puede contener / ni \ ni empezar o terminar con un espacio: elija otro nombre.</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::ConversationPage</name>
    <message>
        <source>the client closed it</source>
        <translation>el cliente la cerró</translation>
    </message>
    <message>
        <source>timed out</source>
        <translation>se agotó el tiempo de espera</translation>
    </message>
    <message>
        <source>the server shut down</source>
        <translation>el servidor se apagó</translation>
    </message>
    <message>
        <source>closed after a crash</source>
        <translation>se cerró tras un fallo</translation>
    </message>
    <message>
        <source>object</source>
        <translation>objeto</translation>
    </message>
    <message>
        <source>array</source>
        <translation>array</translation>
    </message>
    <message>
        <source>string</source>
        <translation>cadena</translation>
    </message>
    <message>
        <source>number</source>
        <translation>número</translation>
    </message>
    <message>
        <source>boolean</source>
        <translation>booleano</translation>
    </message>
    <message>
        <source>null</source>
        <translation>null</translation>
    </message>
    <message>
        <source>Copy as text</source>
        <translation>Copiar como texto</translation>
    </message>
    <message>
        <source>Copy message</source>
        <translation>Copiar mensaje</translation>
    </message>
    <message>
        <source>Copy the whole transcript as text (%1)</source>
        <translation>Copiar toda la transcripción como texto (%1)</translation>
    </message>
    <message>
        <source>Copy the selected message&apos;s text (%1)</source>
        <translation>Copiar el texto del mensaje seleccionado (%1)</translation>
    </message>
    <message>
        <source>Not in this database</source>
        <translation>No está en esta base de datos</translation>
    </message>
    <message>
        <source>Could not be read</source>
        <translation>No se pudo leer</translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Sin base de datos</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Cargando…</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Activa</translation>
    </message>
    <message>
        <source>not yet</source>
        <translation>todavía no</translation>
    </message>
    <message>
        <source>%1 so far</source>
        <translation>%1 hasta ahora</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Finalizada</translation>
    </message>
    <message>
        <source>Ended: %1</source>
        <translation>Finalizada: %1</translation>
    </message>
    <message>
        <source>Session metadata: none</source>
        <translation>Metadatos de la sesión: ninguno</translation>
    </message>
    <message>
        <source>Session metadata</source>
        <translation>Metadatos de la sesión</translation>
    </message>
    <message numerus="yes">
        <source>%n key(s)</source>
        <translation>
            <numerusform>%n clave</numerusform>
            <numerusform>%n claves</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n item(s)</source>
        <translation>
            <numerusform>%n elemento</numerusform>
            <numerusform>%n elementos</numerusform>
        </translation>
    </message>
    <message>
        <source>There is no transcript to copy: select a session with messages.</source>
        <translation>No hay ninguna transcripción que copiar: seleccione una sesión con mensajes.</translation>
    </message>
    <message numerus="yes">
        <source>Copied the transcript (%n message(s)) to the clipboard.</source>
        <translation>
            <numerusform>Se copió la transcripción (%n mensaje) al portapapeles.</numerusform>
            <numerusform>Se copió la transcripción (%n mensajes) al portapapeles.</numerusform>
        </translation>
    </message>
    <message>
        <source>No message is selected: click a bubble first.</source>
        <translation>No hay ningún mensaje seleccionado: haga clic primero en una burbuja.</translation>
    </message>
    <message>
        <source>Copied the message to the clipboard.</source>
        <translation>Se copió el mensaje al portapapeles.</translation>
    </message>
    <message>
        <source>Play call</source>
        <translation>Reproducir llamada</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
    <message>
        <source>Play message</source>
        <translation>Reproducir mensaje</translation>
    </message>
    <message>
        <source>Stop playing (%1)</source>
        <translation>Detener la reproducción (%1)</translation>
    </message>
    <message>
        <source>This conversation has no recorded audio: only messages with an audio_url can be played.</source>
        <translation>Esta conversación no tiene audio grabado: solo se pueden reproducir los mensajes con un audio_url.</translation>
    </message>
    <message>
        <source>Play every recorded message of the call in order (%1)</source>
        <translation>Reproducir en orden todos los mensajes grabados de la llamada (%1)</translation>
    </message>
    <message>
        <source>This conversation has no recorded audio.</source>
        <translation>Esta conversación no tiene audio grabado.</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::DashboardPage</name>
    <message>
        <source>per minute</source>
        <translation>por minuto</translation>
    </message>
    <message>
        <source>per hour</source>
        <translation>por hora</translation>
    </message>
    <message>
        <source>per day</source>
        <translation>por día</translation>
    </message>
    <message>
        <source>per week</source>
        <translation>por semana</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Cargando…</translation>
    </message>
    <message>
        <source>Could not write the chart to %1: choose a folder you can write to and export again.</source>
        <translation>No se pudo escribir el gráfico en %1: elija una carpeta con permiso de escritura y vuelva a exportar.</translation>
    </message>
    <message>
        <source>Chart saved to %1.</source>
        <translation>Gráfico guardado en %1.</translation>
    </message>
    <message>
        <source>Export PNG…</source>
        <translation>Exportar PNG…</translation>
    </message>
    <message>
        <source>Save this chart as a PNG image</source>
        <translation>Guardar este gráfico como imagen PNG</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>Sesiones</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Iniciadas</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Activas</translation>
    </message>
    <message>
        <source>Session durations</source>
        <translation>Duración de las sesiones</translation>
    </message>
    <message>
        <source>Ended sessions</source>
        <translation>Sesiones finalizadas</translation>
    </message>
    <message>
        <source>Messages by role</source>
        <translation>Mensajes por rol</translation>
    </message>
    <message>
        <source>Milliseconds</source>
        <translation>Milisegundos</translation>
    </message>
    <message>
        <source>Replies</source>
        <translation>Respuestas</translation>
    </message>
    <message>
        <source>@value ms</source>
        <translation>@value ms</translation>
    </message>
    <message>
        <source>Switch between the latency percentiles and the replies per latency range</source>
        <translation>Alternar entre los percentiles de latencia y las respuestas por intervalo de latencia</translation>
    </message>
    <message numerus="yes">
        <source>Updated %1 · %Ln session(s)</source>
        <translation>
            <numerusform>Actualizado %1 · %Ln sesión</numerusform>
            <numerusform>Actualizado %1 · %Ln sesiones</numerusform>
        </translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Sin base de datos</translation>
    </message>
    <message>
        <source>No statistics</source>
        <translation>Sin estadísticas</translation>
    </message>
    <message>
        <source>No sessions yet</source>
        <translation>Todavía no hay sesiones</translation>
    </message>
    <message>
        <source>No sessions in this range</source>
        <translation>No hay sesiones en este intervalo</translation>
    </message>
    <message>
        <source>Sessions over time</source>
        <translation>Sesiones a lo largo del tiempo</translation>
    </message>
    <message>
        <source>Sessions over time, %1</source>
        <translation>Sesiones a lo largo del tiempo, %1</translation>
    </message>
    <message>
        <source>Local time</source>
        <translation>Hora local</translation>
    </message>
    <message>
        <source>No ended sessions yet</source>
        <translation>Todavía no hay sesiones finalizadas</translation>
    </message>
    <message>
        <source>%1 · %2 (%3)</source>
        <translation>%1 · %2 (%3)</translation>
    </message>
    <message numerus="yes">
        <source>%Ln message(s) have a role the schema does not allow: %1</source>
        <translation>
            <numerusform>%Ln mensaje tiene un rol que el esquema no permite: %1</numerusform>
            <numerusform>%Ln mensajes tienen un rol que el esquema no permite: %1</numerusform>
        </translation>
    </message>
    <message>
        <source>No messages yet</source>
        <translation>Todavía no hay mensajes</translation>
    </message>
    <message>
        <source>Reply latency distribution</source>
        <translation>Distribución de la latencia de respuesta</translation>
    </message>
    <message>
        <source>Reply latency percentiles</source>
        <translation>Percentiles de latencia de respuesta</translation>
    </message>
    <message>
        <source>Show percentiles</source>
        <translation>Mostrar percentiles</translation>
    </message>
    <message>
        <source>Show distribution</source>
        <translation>Mostrar distribución</translation>
    </message>
    <message>
        <source>No agent replies with a latency yet</source>
        <translation>Todavía no hay respuestas del agente con latencia</translation>
    </message>
    <message>
        <source>Export Chart</source>
        <translation>Exportar gráfico</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>Imágenes PNG (*.png)</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::Demo</name>
    <message>
        <source>Could not create the data directory %1: check its parent is writable, or set XDG_DATA_HOME.</source>
        <translation>No se pudo crear el directorio de datos %1: compruebe que su directorio padre tiene permiso de escritura o defina XDG_DATA_HOME.</translation>
    </message>
    <message>
        <source>Demo</source>
        <translation>Demostración</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::HealthPage</name>
    <message>
        <source>%1, %2, %3, %4</source>
        <translation>%1, %2, %3, %4</translation>
    </message>
    <message numerus="yes">
        <source>%n error(s)</source>
        <translation>
            <numerusform>%n error</numerusform>
            <numerusform>%n errores</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n warning(s)</source>
        <translation>
            <numerusform>%n advertencia</numerusform>
            <numerusform>%n advertencias</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n note(s)</source>
        <translation>
            <numerusform>%n nota</numerusform>
            <numerusform>%n notas</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n not checked</source>
        <translation>
            <numerusform>%n sin comprobar</numerusform>
            <numerusform>%n sin comprobar</numerusform>
        </translation>
    </message>
    <message>
        <source>Checking %1…</source>
        <translation>Comprobando %1…</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>Comprobando…</translation>
    </message>
    <message>
        <source>Checked %1 (%2, schema version %3) in %4 ms.</source>
        <translation>%1 comprobada (%2, versión de esquema %3) en %4 ms.</translation>
    </message>
    <message>
        <source>The doctor could not run [%1].</source>
        <translation>No se pudo ejecutar el diagnóstico [%1].</translation>
    </message>
    <message>
        <source>Not checked: %1.</source>
        <translation>Sin comprobar: %1.</translation>
    </message>
    <message>
        <source>Passed: nothing found.</source>
        <translation>Correcto: no se encontró nada.</translation>
    </message>
    <message>
        <source>%1 found, the first %2:</source>
        <translation>Se encontraron %1; los primeros %2:</translation>
    </message>
    <message numerus="yes">
        <source>%n found:</source>
        <translation>
            <numerusform>%n encontrado:</numerusform>
            <numerusform>%n encontrados:</numerusform>
        </translation>
    </message>
    <message>
        <source>Hint:</source>
        <translation>Sugerencia:</translation>
    </message>
    <message>
        <source>Click a row to open its conversation.</source>
        <translation>Haga clic en una fila para abrir su conversación.</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::LoadPanel</name>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>msg/s</source>
        <translation>msj/s</translation>
    </message>
    <message>
        <source>messages sent per second</source>
        <translation>mensajes enviados por segundo</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>reply p50</source>
        <translation>respuesta p50</translation>
    </message>
    <message>
        <source>reply p95</source>
        <translation>respuesta p95</translation>
    </message>
    <message>
        <source>reply p99</source>
        <translation>respuesta p99</translation>
    </message>
    <message>
        <source>No run yet</source>
        <translation>Todavía no hay ejecuciones</translation>
    </message>
    <message>
        <source>%.0f s</source>
        <comment>seconds since the start of the run on a chart&apos;s time axis</comment>
        <translation>%.0f s</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Open a Scenario</source>
        <translation>Abrir un escenario</translation>
    </message>
    <message>
        <source>Scenarios (*.json);;All files (*)</source>
        <translation>Escenarios (*.json);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>After each session, compare what it said with the database</source>
        <translation>Tras cada sesión, comparar lo que dijo con la base de datos</translation>
    </message>
    <message>
        <source>Choose a database in the connection bar to compare each session with it</source>
        <translation>Elija una base de datos en la barra de conexión para comparar cada sesión con ella</translation>
    </message>
    <message>
        <source>Run the scenario against the server (%1)</source>
        <translation>Ejecutar el escenario contra el servidor (%1)</translation>
    </message>
    <message>
        <source>Stop now</source>
        <translation>Detener ahora</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
    <message>
        <source>Start no more sessions; open ones finish the turn in flight and end (%1)</source>
        <translation>No iniciar más sesiones; las abiertas terminan el turno en curso y finalizan (%1)</translation>
    </message>
    <message>
        <source>Drop the open connections now (%1)</source>
        <translation>Cortar ahora las conexiones abiertas (%1)</translation>
    </message>
    <message>
        <source>Connect to a server first.</source>
        <translation>Conéctese primero a un servidor.</translation>
    </message>
    <message>
        <source>Choose a scenario that loads.</source>
        <translation>Elija un escenario que se pueda cargar.</translation>
    </message>
    <message>
        <source>The run could not start: %1</source>
        <translation>No se pudo iniciar la ejecución: %1</translation>
    </message>
    <message>
        <source>%v / %m sessions</source>
        <translation>%v / %m sesiones</translation>
    </message>
    <message numerus="yes">
        <source>Running %1 with %n session(s).</source>
        <translation>
            <numerusform>Ejecutando %1 con %n sesión.</numerusform>
            <numerusform>Ejecutando %1 con %n sesiones.</numerusform>
        </translation>
    </message>
    <message>
        <source>Stopping: open sessions finish the turn in flight and end.</source>
        <translation>Deteniendo: las sesiones abiertas terminan el turno en curso y finalizan.</translation>
    </message>
    <message>
        <source>Stopping now: the open connections are dropped.</source>
        <translation>Deteniendo ahora: se cortan las conexiones abiertas.</translation>
    </message>
    <message>
        <source>The run is over: %1 of %2 session(s) completed, %3 failed.</source>
        <translation>La ejecución ha terminado: %1 de %2 sesión(es) completada(s), %3 fallida(s).</translation>
    </message>
    <message>
        <source>%1 of %2 sessions done</source>
        <translation>%1 de %2 sesiones hechas</translation>
    </message>
    <message>
        <source>%1 open</source>
        <translation>%1 abiertas</translation>
    </message>
    <message>
        <source>%1 msg/s</source>
        <translation>%1 msj/s</translation>
    </message>
    <message>
        <source>reply p95 %1</source>
        <translation>respuesta p95 %1</translation>
    </message>
    <message>
        <source>reply p95 –</source>
        <translation>respuesta p95 –</translation>
    </message>
    <message numerus="yes">
        <source>%n error(s)</source>
        <translation>
            <numerusform>%n error</numerusform>
            <numerusform>%n errores</numerusform>
        </translation>
    </message>
    <message>
        <source>verifying %1</source>
        <translation>verificando %1</translation>
    </message>
    <message>
        <source>stopping…</source>
        <translation>deteniendo…</translation>
    </message>
    <message>
        <source>The run could not take place: %1</source>
        <translation>La ejecución no pudo llevarse a cabo: %1</translation>
    </message>
    <message>
        <source>Passed</source>
        <translation>Superada</translation>
    </message>
    <message>
        <source>Failed: %1 threshold(s) failed, %2 finding(s)</source>
        <translation>Fallida: %1 umbral(es) no cumplido(s), %2 hallazgo(s)</translation>
    </message>
    <message>
        <source>(stopped early)</source>
        <translation>(detenida antes de tiempo)</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>Sesiones</translation>
    </message>
    <message>
        <source>%1 completed, %2 failed, of %3 planned (%4 started)</source>
        <translation>%1 completadas, %2 fallidas, de %3 previstas (%4 iniciadas)</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Mensajes</translation>
    </message>
    <message>
        <source>%1 sent, %2 acknowledged, %3 persisted</source>
        <translation>%1 enviados, %2 confirmados, %3 persistidos</translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation>Rendimiento</translation>
    </message>
    <message>
        <source>%1 messages/s, %2 replies/s over %3 s, at most %4 sessions at once</source>
        <translation>%1 mensajes/s, %2 respuestas/s durante %3 s, como máximo %4 sesiones a la vez</translation>
    </message>
    <message>
        <source>Reply latency</source>
        <translation>Latencia de respuesta</translation>
    </message>
    <message>
        <source>no replies</source>
        <translation>sin respuestas</translation>
    </message>
    <message>
        <source>p50 %1, p95 %2, p99 %3</source>
        <translation>p50 %1, p95 %2, p99 %3</translation>
    </message>
    <message>
        <source>%1: %2 (at most %3)</source>
        <translation>%1: %2 (como máximo %3)</translation>
    </message>
    <message>
        <source>%1: %2 (at least %3)</source>
        <translation>%1: %2 (como mínimo %3)</translation>
    </message>
    <message>
        <source>passed</source>
        <translation>superado</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>fallido</translation>
    </message>
    <message>
        <source>Thresholds</source>
        <translation>Umbrales</translation>
    </message>
    <message>
        <source>Verification</source>
        <translation>Verificación</translation>
    </message>
    <message>
        <source>not run</source>
        <translation>no ejecutada</translation>
    </message>
    <message>
        <source>0 findings: the database matches the conversations</source>
        <translation>0 hallazgos: la base de datos coincide con las conversaciones</translation>
    </message>
    <message numerus="yes">
        <source>%n finding(s)</source>
        <translation>
            <numerusform>%n hallazgo</numerusform>
            <numerusform>%n hallazgos</numerusform>
        </translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation>… y %1 más</translation>
    </message>
    <message>
        <source>Errors</source>
        <translation>Errores</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::MainWindow</name>
    <message>
        <source>&amp;Health</source>
        <translation>&amp;Estado</translation>
    </message>
    <message>
        <source>About Voxtrack</source>
        <translation>Acerca de Voxtrack</translation>
    </message>
    <message>
        <source>not available</source>
        <translation>no disponible</translation>
    </message>
    <message>
        <source>S&amp;imulator</source>
        <translation>S&amp;imulador</translation>
    </message>
    <message>
        <source>&amp;Sessions</source>
        <translation>&amp;Sesiones</translation>
    </message>
    <message>
        <source>&amp;Conversation</source>
        <translation>&amp;Conversación</translation>
    </message>
    <message>
        <source>&amp;Dashboard</source>
        <translation>&amp;Panel</translation>
    </message>
    <message>
        <source>Activity</source>
        <translation>Actividad</translation>
    </message>
    <message>
        <source>&amp;Activity Log</source>
        <translation>Registro de &amp;actividad</translation>
    </message>
    <message>
        <source>No server</source>
        <translation>Sin servidor</translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Sin base de datos</translation>
    </message>
    <message>
        <source>Server %1</source>
        <translation>Servidor %1</translation>
    </message>
    <message>
        <source>Live: connecting…</source>
        <translation>En vivo: conectando…</translation>
    </message>
    <message>
        <source>Live</source>
        <translation>En vivo</translation>
    </message>
    <message>
        <source>Live updates lost</source>
        <translation>Actualizaciones en vivo perdidas</translation>
    </message>
    <message>
        <source>PostgreSQL %1</source>
        <translation>PostgreSQL %1</translation>
    </message>
    <message>
        <source>SQLite %1</source>
        <translation>SQLite %1</translation>
    </message>
    <message>
        <source>Voxtrack</source>
        <translation>Voxtrack</translation>
    </message>
    <message>
        <source>Voxtrack — %1</source>
        <translation>Voxtrack — %1</translation>
    </message>
    <message>
        <source>Quit Voxtrack?</source>
        <translation>¿Salir de Voxtrack?</translation>
    </message>
    <message>
        <source>A load run is going. Quitting stops it: open sessions are dropped without their end. Quit anyway?</source>
        <translation>Hay una prueba de carga en curso. Si sale, se detendrá: las sesiones abiertas se cortarán sin finalizarse. ¿Desea salir de todos modos?</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Voxtrack %1&lt;/h3&gt;&lt;p&gt;A monitoring and test harness for voice-agent backends that track conversations in a database: a simulated voice client that drives conversations, one by hand or thousands at once, and a live inspector of the conversation_sessions and conversation_messages tables on PostgreSQL or SQLite, with the faults that break tracking found by the doctor.&lt;/p&gt;&lt;p&gt;Qt %2 (built with Qt %3)&lt;br/&gt;SQLite %4&lt;br/&gt;Passwords kept in the system keychain through QtKeychain&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Voxtrack %1&lt;/h3&gt;&lt;p&gt;Una herramienta de supervisión y pruebas para backends de agentes de voz que registran conversaciones en una base de datos: un cliente de voz simulado que ejecuta conversaciones, una a mano o miles a la vez, y un inspector en directo de las tablas conversation_sessions y conversation_messages en PostgreSQL o SQLite, con los fallos que rompen el registro detectados por el diagnóstico.&lt;/p&gt;&lt;p&gt;Qt %2 (compilado con Qt %3)&lt;br/&gt;SQLite %4&lt;br/&gt;Contraseñas guardadas en el llavero del sistema mediante QtKeychain&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::SessionsPage</name>
    <message>
        <source>Write the metadata filter as key=value, for example channel=phone.</source>
        <translation>Escriba el filtro de metadatos como key=value, por ejemplo channel=phone.</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Cargando…</translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Sin base de datos</translation>
    </message>
    <message numerus="yes">
        <source>%n session(s) so far, counting…</source>
        <translation>
            <numerusform>%n sesión hasta ahora, contando…</numerusform>
            <numerusform>%n sesiones hasta ahora, contando…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n session(s)</source>
        <translation>
            <numerusform>%n sesión</numerusform>
            <numerusform>%n sesiones</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::SettingsDialog</name>
    <message>
        <source>System default</source>
        <translation>Predeterminado del sistema</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::SimulatorPage</name>
    <message>
        <source>Hello!</source>
        <translation>¡Hola!</translation>
    </message>
    <message>
        <source>What&apos;s the price of Tesla?</source>
        <translation>¿Cuál es el precio de Tesla?</translation>
    </message>
    <message>
        <source>And the price of Apple?</source>
        <translation>¿Y el precio de Apple?</translation>
    </message>
    <message>
        <source>What can you do?</source>
        <translation>¿Qué puede hacer?</translation>
    </message>
    <message>
        <source>Thanks, that&apos;s all.</source>
        <translation>Gracias, eso es todo.</translation>
    </message>
    <message>
        <source>Goodbye</source>
        <translation>Adiós</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Usted</translation>
    </message>
    <message>
        <source>Open a new session with the server as this user (%1)</source>
        <translation>Abrir una sesión nueva con el servidor como este usuario (%1)</translation>
    </message>
    <message>
        <source>End the session: the server records its end and duration (%1)</source>
        <translation>Finalizar la sesión: el servidor registra su fin y su duración (%1)</translation>
    </message>
    <message>
        <source>Say it to the agent (Return or %1)</source>
        <translation>Decírselo al agente (Intro o %1)</translation>
    </message>
    <message>
        <source>There is no server to talk to: enter its URL in the connection bar first.</source>
        <translation>No hay ningún servidor con el que hablar: introduzca primero su URL en la barra de conexión.</translation>
    </message>
    <message>
        <source>No session is open: start one (%1), then say something.</source>
        <translation>No hay ninguna sesión abierta: inicie una (%1) y después diga algo.</translation>
    </message>
    <message>
        <source>There is nothing to say: type what the user says, or pick one of the phrases.</source>
        <translation>No hay nada que decir: escriba lo que dice el usuario o elija una de las frases.</translation>
    </message>
    <message>
        <source>Session %1 started for %2.</source>
        <translation>Sesión %1 iniciada para %2.</translation>
    </message>
    <message>
        <source>Session %1 started.</source>
        <translation>Sesión %1 iniciada.</translation>
    </message>
    <message>
        <source>reply in %1 ms</source>
        <translation>respuesta en %1 ms</translation>
    </message>
    <message>
        <source>saved in %1 ms</source>
        <translation>guardado en %1 ms</translation>
    </message>
    <message numerus="yes">
        <source>Session ended after %1 with %n message(s) stored.</source>
        <translation>
            <numerusform>La sesión finalizó tras %1 con %n mensaje almacenado.</numerusform>
            <numerusform>La sesión finalizó tras %1 con %n mensajes almacenados.</numerusform>
        </translation>
    </message>
    <message>
        <source>Session %1 ended.</source>
        <translation>Sesión %1 finalizada.</translation>
    </message>
    <message>
        <source>No server: start one or enter its URL in the connection bar to talk to its agent.</source>
        <translation>Sin servidor: inicie uno o introduzca su URL en la barra de conexión para hablar con su agente.</translation>
    </message>
    <message>
        <source>Start a session (%1), then type what the user says or pick one of the phrases.</source>
        <translation>Inicie una sesión (%1) y después escriba lo que dice el usuario o elija una de las frases.</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>Conectando a %1…</translation>
    </message>
    <message>
        <source>No session</source>
        <translation>Sin sesión</translation>
    </message>
    <message>
        <source>active</source>
        <translation>activa</translation>
    </message>
    <message>
        <source>ending…</source>
        <translation>finalizando…</translation>
    </message>
    <message>
        <source>ended</source>
        <translation>finalizada</translation>
    </message>
    <message numerus="yes">
        <source>Session %1 · %2 · %n turn(s) · %3</source>
        <translation>
            <numerusform>Sesión %1 · %2 · %n turno · %3</numerusform>
            <numerusform>Sesión %1 · %2 · %n turnos · %3</numerusform>
        </translation>
    </message>
    <message>
        <source>How is Nvidia doing today?</source>
        <translation>¿Cómo va Nvidia hoy?</translation>
    </message>
    <message>
        <source>What about Microsoft?</source>
        <translation>¿Y Microsoft?</translation>
    </message>
    <message>
        <source>spoken · %1</source>
        <translation>hablado · %1</translation>
    </message>
    <message>
        <source>Also play the speech on this computer while it is sent</source>
        <translation>Reproducir también la voz en este equipo mientras se envía</translation>
    </message>
    <message>
        <source>There is no audio output device: connect speakers or headphones to hear the speech.</source>
        <translation>No hay ningún dispositivo de salida de audio: conecte altavoces o auriculares para oír la voz.</translation>
    </message>
</context>
<context>
    <name>voxtrack::json</name>
    <message>
        <source>an empty string</source>
        <translation>una cadena vacía</translation>
    </message>
    <message>
        <source>%1 (%2 characters)</source>
        <translation>%1 (%2 caracteres)</translation>
    </message>
    <message>
        <source>an array</source>
        <translation>un array</translation>
    </message>
    <message>
        <source>an object</source>
        <translation>un objeto</translation>
    </message>
    <message>
        <source>nothing</source>
        <translation>nada</translation>
    </message>
    <message>
        <source>%1: the key is missing: add it as %2.</source>
        <translation>%1: falta la clave: añádala como %2.</translation>
    </message>
    <message>
        <source>%1: expected %2, not %3: fix the value.</source>
        <translation>%1: se esperaba %2, no %3: corrija el valor.</translation>
    </message>
    <message>
        <source>%1: the key is not known: use one of %2 (keys starting with &quot;_&quot; are comments).</source>
        <translation>%1: la clave no es conocida: use una de %2 (las claves que empiezan por &quot;_&quot; son comentarios).</translation>
    </message>
    <message>
        <source>a non-empty string</source>
        <translation>una cadena no vacía</translation>
    </message>
    <message>
        <source>a string</source>
        <translation>una cadena</translation>
    </message>
    <message>
        <source>true or false</source>
        <translation>true o false</translation>
    </message>
    <message>
        <source>the number 1</source>
        <translation>el número 1</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::ActiveSessionsModel</name>
    <message>
        <source>Active sessions</source>
        <translation>Sesiones activas</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::ActivityLog</name>
    <message numerus="yes">
        <source>… and %n more message(s) saved in the same write</source>
        <translation>
            <numerusform>… y %n mensaje más guardado en la misma escritura</numerusform>
            <numerusform>… y %n mensajes más guardados en la misma escritura</numerusform>
        </translation>
    </message>
    <message>
        <source>Started session %1 for user %2</source>
        <translation>Sesión %1 iniciada para el usuario %2</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>desconocido</translation>
    </message>
    <message>
        <source>none</source>
        <translation>ninguno</translation>
    </message>
    <message>
        <source>Ended session %1 (duration: %2 s, messages: %3, reason: %4)</source>
        <translation>Sesión %1 finalizada (duración: %2 s, mensajes: %3, motivo: %4)</translation>
    </message>
    <message>
        <source>Saved a message with the role &quot;%1&quot; for session %2: the schema allows user, agent and system</source>
        <translation>Se guardó un mensaje con el rol &quot;%1&quot; para la sesión %2: el esquema permite user, agent y system</translation>
    </message>
    <message>
        <source>Saved %1 message for session %2</source>
        <translation>Se guardó un mensaje de %1 para la sesión %2</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::DoctorReportModel</name>
    <message>
        <source>Passed</source>
        <translation>Correcto</translation>
    </message>
    <message>
        <source>Not checked</source>
        <translation>Sin comprobar</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Error</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>Advertencia</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Nota</translation>
    </message>
    <message>
        <source>Not checked: %1</source>
        <translation>Sin comprobar: %1</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>Gravedad</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>Comprobación</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>Cantidad</translation>
    </message>
    <message>
        <source>Finding</source>
        <translation>Hallazgo</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>Muestras</translation>
    </message>
    <message>
        <source>Hint</source>
        <translation>Sugerencia</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::DoctorRunner</name>
    <message>
        <source>The doctor run was cancelled.</source>
        <translation>Se canceló la ejecución del diagnóstico.</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::DurationHistogramModel</name>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 min</translation>
    </message>
    <message>
        <source>%1 h</source>
        <translation>%1 h</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Duración</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>Sesiones</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::HistogramModel</name>
    <message>
        <source>From</source>
        <translation>Desde</translation>
    </message>
    <message>
        <source>To</source>
        <translation>Hasta</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::LatencyHistogramModel</name>
    <message>
        <source>Latency</source>
        <translation>Latencia</translation>
    </message>
    <message>
        <source>Replies</source>
        <translation>Respuestas</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::LatencyPercentilesModel</name>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>p%1</source>
        <translation>p%1</translation>
    </message>
    <message>
        <source>%1 % of %2 replies came within this time</source>
        <translation>El %1 % de %2 respuestas llegó en este tiempo</translation>
    </message>
    <message>
        <source>Percentile</source>
        <translation>Percentil</translation>
    </message>
    <message>
        <source>Latency</source>
        <translation>Latencia</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::MessagesByRoleModel</name>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not an allowed role (user, agent, system): the doctor lists these messages.</source>
        <translation>&quot;%1&quot; no es un rol permitido (user, agent, system): el diagnóstico lista estos mensajes.</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Rol</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Mensajes</translation>
    </message>
    <message>
        <source>Share</source>
        <translation>Proporción</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::MessagesModel</name>
    <message>
        <source>Seq</source>
        <translation>Seq</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Rol</translation>
    </message>
    <message>
        <source>Content</source>
        <translation>Contenido</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>Audio</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Hora</translation>
    </message>
    <message>
        <source>Metadata</source>
        <translation>Metadatos</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::SessionsModel</name>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Cargando…</translation>
    </message>
    <message>
        <source>active</source>
        <translation>activa</translation>
    </message>
    <message>
        <source>ended</source>
        <translation>finalizada</translation>
    </message>
    <message>
        <source>Session</source>
        <translation>Sesión</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Usuario</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Inicio</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Fin</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Duración</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Estado</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Mensajes</translation>
    </message>
    <message>
        <source>End reason</source>
        <translation>Motivo de finalización</translation>
    </message>
    <message>
        <source>Metadata</source>
        <translation>Metadatos</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::SessionsPerBucketModel</name>
    <message>
        <source>Sessions started</source>
        <translation>Sesiones iniciadas</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::TimeSeriesModel</name>
    <message>
        <source>Start (UTC)</source>
        <translation>Inicio (UTC)</translation>
    </message>
</context>
<context>
    <name>voxtrack::protocol</name>
    <message>
        <source>a string of 1 to %1 letters, digits, &quot;.&quot;, &quot;_&quot;, &quot;:&quot; or &quot;-&quot;</source>
        <translation>una cadena de 1 a %1 letras, dígitos, &quot;.&quot;, &quot;_&quot;, &quot;:&quot; o &quot;-&quot;</translation>
    </message>
    <message>
        <source>%1 or null</source>
        <translation>%1 o null</translation>
    </message>
    <message>
        <source>a string</source>
        <translation>una cadena</translation>
    </message>
    <message>
        <source>a string or null</source>
        <translation>una cadena o null</translation>
    </message>
    <message>
        <source>a non-empty string</source>
        <translation>una cadena no vacía</translation>
    </message>
    <message>
        <source>a JSON object</source>
        <translation>un objeto JSON</translation>
    </message>
    <message>
        <source>&quot;%1&quot; (16-bit little-endian mono PCM)</source>
        <translation>&quot;%1&quot; (PCM mono de 16 bits little-endian)</translation>
    </message>
    <message>
        <source>an integer from %1 to %2</source>
        <translation>un entero de %1 a %2</translation>
    </message>
    <message>
        <source>an integer of at least 1</source>
        <translation>un entero mayor o igual que 1</translation>
    </message>
    <message>
        <source>an integer of at least 0</source>
        <translation>un entero mayor o igual que 0</translation>
    </message>
    <message>
        <source>a number of seconds of at least 0</source>
        <translation>un número de segundos mayor o igual que 0</translation>
    </message>
    <message>
        <source>a UTC time with milliseconds such as &quot;2025-10-18T09:30:00.123Z&quot;</source>
        <translation>una hora UTC con milisegundos como &quot;2025-10-18T09:30:00.123Z&quot;</translation>
    </message>
    <message>
        <source>a UUID such as &quot;0d5e2f4a-3c1b-5e6f-8a9b-1c2d3e4f5a6b&quot;</source>
        <translation>un UUID como &quot;0d5e2f4a-3c1b-5e6f-8a9b-1c2d3e4f5a6b&quot;</translation>
    </message>
    <message>
        <source>one of %1</source>
        <translation>uno de %1</translation>
    </message>
    <message>
        <source>The field &quot;role&quot; must be a string, not %1: use one of %2.</source>
        <translation>El campo &quot;role&quot; debe ser una cadena, no %1: use uno de %2.</translation>
    </message>
    <message>
        <source>The %1 frame has no &quot;%2&quot; field: add it as %3.</source>
        <translation>La trama %1 no tiene el campo &quot;%2&quot;: añádalo como %3.</translation>
    </message>
    <message>
        <source>The field &quot;%1&quot; of the %2 frame must be %3, not %4.</source>
        <translation>El campo &quot;%1&quot; de la trama %2 debe ser %3, no %4.</translation>
    </message>
    <message>
        <source>The frame is not valid JSON (%1 at byte %2): send one UTF-8 JSON object per text frame.</source>
        <translation>La trama no es JSON válido (%1 en el byte %2): envíe un objeto JSON UTF-8 por cada trama de texto.</translation>
    </message>
    <message>
        <source>The frame is %1, not a JSON object: send one object with a &quot;type&quot; field per text frame.</source>
        <translation>La trama es %1, no un objeto JSON: envíe un objeto con un campo &quot;type&quot; por cada trama de texto.</translation>
    </message>
    <message>
        <source>The frame has no &quot;type&quot;: add one such as &quot;user.message&quot;.</source>
        <translation>La trama no tiene &quot;type&quot;: añada uno como &quot;user.message&quot;.</translation>
    </message>
    <message>
        <source>The field &quot;type&quot; must be a string such as &quot;user.message&quot;, not %1.</source>
        <translation>El campo &quot;type&quot; debe ser una cadena como &quot;user.message&quot;, no %1.</translation>
    </message>
    <message>
        <source>The frame type %1 is not known: use one of %2.</source>
        <translation>El tipo de trama %1 no es conocido: use uno de %2.</translation>
    </message>
    <message>
        <source>The text frame is %1 bytes, more than the limit of %2 bytes: send a shorter message.</source>
        <translation>La trama de texto tiene %1 bytes, más que el límite de %2 bytes: envíe un mensaje más corto.</translation>
    </message>
    <message>
        <source>The audio %1 is still open: send audio.end for it before audio.start %2.</source>
        <translation>El audio %1 sigue abierto: envíe audio.end para él antes de audio.start %2.</translation>
    </message>
    <message>
        <source>No audio is open for audio.end %1: send audio.start with that id before the PCM data.</source>
        <translation>No hay ningún audio abierto para audio.end %1: envíe audio.start con ese id antes de los datos PCM.</translation>
    </message>
    <message>
        <source>The audio.end id %1 does not match the open audio %2: end %2 first.</source>
        <translation>El id %1 de audio.end no coincide con el audio abierto %2: finalice primero %2.</translation>
    </message>
    <message>
        <source>A binary frame of %1 bytes arrived with no audio open: send audio.start before the PCM data.</source>
        <translation>Llegó una trama binaria de %1 bytes sin ningún audio abierto: envíe audio.start antes de los datos PCM.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::ConnectionWorker</name>
    <message>
        <source>The server is shutting down: connect again later.</source>
        <translation>El servidor se está apagando: vuelva a conectarse más tarde.</translation>
    </message>
    <message>
        <source>This endpoint speaks WebSocket: connect with ws://…%1.</source>
        <translation>Este punto de conexión habla WebSocket: conéctese con ws://…%1.</translation>
    </message>
    <message>
        <source>Only GET is served here.</source>
        <translation>Aquí solo se atiende GET.</translation>
    </message>
    <message>
        <source>Nothing is served at %1: the endpoints are %2, /healthz and /metrics.</source>
        <translation>No se sirve nada en %1: los puntos de conexión son %2, /healthz y /metrics.</translation>
    </message>
    <message>
        <source>No user: this server runs without authentication, so add ?user_id=&lt;id&gt; to the URL.</source>
        <translation>Sin usuario: este servidor se ejecuta sin autenticación, así que añada ?user_id=&lt;id&gt; a la URL.</translation>
    </message>
    <message>
        <source>No credentials: send the header &quot;Authorization: Bearer &lt;token&gt;&quot; with a token signed with the server&apos;s secret.</source>
        <translation>Sin credenciales: envíe la cabecera &quot;Authorization: Bearer &lt;token&gt;&quot; con un token firmado con el secreto del servidor.</translation>
    </message>
    <message>
        <source>The metadata query parameter is not a JSON object: send ?metadata= with a URL-encoded object such as {&quot;channel&quot;:&quot;web&quot;}.</source>
        <translation>El parámetro de consulta metadata no es un objeto JSON: envíe ?metadata= con un objeto codificado para URL como {&quot;channel&quot;:&quot;web&quot;}.</translation>
    </message>
    <message>
        <source>The server holds its maximum of %1 sessions: try again later.</source>
        <translation>El servidor tiene su máximo de %1 sesiones: inténtelo de nuevo más tarde.</translation>
    </message>
    <message>
        <source>This session has ended and takes no more frames: open a new connection for a new session.</source>
        <translation>Esta sesión ha finalizado y no acepta más tramas: abra una conexión nueva para una sesión nueva.</translation>
    </message>
    <message>
        <source>No audio is stored under %1: audio URLs come from the audio_url of a stored message.</source>
        <translation>No hay ningún audio almacenado en %1: las URL de audio proceden del audio_url de un mensaje almacenado.</translation>
    </message>
    <message>
        <source>The range %1 lies outside the %2 bytes of this file: ask for bytes below %2.</source>
        <translation>El intervalo %1 queda fuera de los %2 bytes de este archivo: pida bytes por debajo de %2.</translation>
    </message>
    <message>
        <source>This server stores no audio (it runs with --audio-dir none): send the transcript as a user.message instead.</source>
        <translation>Este servidor no almacena audio (se ejecuta con --audio-dir none): envíe en su lugar la transcripción como user.message.</translation>
    </message>
    <message>
        <source>The audio &quot;%1&quot; is longer than %2 s: it was dropped; send shorter utterances, or start the server with a larger --max-audio-seconds.</source>
        <translation>El audio «%1» dura más de %2 s: se descartó; envíe enunciados más cortos o inicie el servidor con un --max-audio-seconds mayor.</translation>
    </message>
    <message>
        <source>This server stores no audio.</source>
        <translation>Este servidor no almacena audio.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::ConversationServer</name>
    <message>
        <source>Cannot listen on %1:%2 (%3): choose another --listen address or port, or stop what uses it.</source>
        <translation>No se puede escuchar en %1:%2 (%3): elija otra dirección o puerto para --listen, o detenga lo que lo esté usando.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::EmbeddedServer</name>
    <message>
        <source>No temporary directory for the journal: %1. Free some space or set TMPDIR.</source>
        <translation>No hay directorio temporal para el diario: %1. Libere espacio o defina TMPDIR.</translation>
    </message>
    <message>
        <source>Could not create the journal directory %1: check its parent is writable.</source>
        <translation>No se pudo crear el directorio del diario %1: compruebe que su directorio padre tiene permiso de escritura.</translation>
    </message>
    <message>
        <source>No temporary directory for the audio: %1. Free some space or set TMPDIR.</source>
        <translation>No hay directorio temporal para el audio: %1. Libere espacio o defina TMPDIR.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::Jwt</name>
    <message>
        <source>header</source>
        <translation>encabezado</translation>
    </message>
    <message>
        <source>payload</source>
        <translation>carga útil</translation>
    </message>
    <message>
        <source>signature</source>
        <translation>firma</translation>
    </message>
    <message>
        <source>The server has no JWT secret to verify tokens with: configure the project&apos;s JWT secret.</source>
        <translation>El servidor no tiene ningún secreto JWT con el que verificar los tokens: configure el secreto JWT del proyecto.</translation>
    </message>
    <message>
        <source>The bearer token is empty: send the access token after &quot;Bearer &quot;.</source>
        <translation>El token Bearer está vacío: envíe el token de acceso después de &quot;Bearer &quot;.</translation>
    </message>
    <message>
        <source>The token has %1 parts separated by &quot;.&quot;, not 3: send a JWT (header.payload.signature) exactly as it was issued.</source>
        <translation>El token tiene %1 partes separadas por &quot;.&quot;, no 3: envíe un JWT (header.payload.signature) exactamente como se emitió.</translation>
    </message>
    <message>
        <source>The token&apos;s %1 is not valid base64url: send the token exactly as it was issued.</source>
        <translation>El componente %1 del token no es base64url válido: envíe el token exactamente como se emitió.</translation>
    </message>
    <message>
        <source>The token&apos;s header is not a JSON object: send a JWT as it was issued.</source>
        <translation>El encabezado del token no es un objeto JSON: envíe un JWT tal como se emitió.</translation>
    </message>
    <message>
        <source>The token&apos;s header has no &quot;alg&quot; naming its algorithm: send an HS256 token as Supabase issues them.</source>
        <translation>El encabezado del token no tiene &quot;alg&quot; que indique su algoritmo: envíe un token HS256 como los que emite Supabase.</translation>
    </message>
    <message>
        <source>The token is not signed (algorithm &quot;none&quot;): send a token signed with HS256, as Supabase issues them.</source>
        <translation>El token no está firmado (algoritmo &quot;none&quot;): envíe un token firmado con HS256, como los que emite Supabase.</translation>
    </message>
    <message>
        <source>The token is signed with the algorithm %1, not HS256: send an HS256 token, as Supabase issues them.</source>
        <translation>El token está firmado con el algoritmo %1, no con HS256: envíe un token HS256, como los que emite Supabase.</translation>
    </message>
    <message>
        <source>The token&apos;s header has critical extensions (&quot;crit&quot;) this server does not understand: send a plain HS256 token.</source>
        <translation>El encabezado del token tiene extensiones críticas (&quot;crit&quot;) que este servidor no entiende: envíe un token HS256 simple.</translation>
    </message>
    <message>
        <source>The token&apos;s signature does not verify: check that the server has the JWT secret of the project that issued the token, and send the token unaltered.</source>
        <translation>La firma del token no se verifica: compruebe que el servidor tiene el secreto JWT del proyecto que emitió el token y envíe el token sin alterar.</translation>
    </message>
    <message>
        <source>The token&apos;s payload is not a JSON object: send a JWT as it was issued.</source>
        <translation>La carga útil del token no es un objeto JSON: envíe un JWT tal como se emitió.</translation>
    </message>
    <message>
        <source>The token has no user id (a non-empty string &quot;sub&quot; claim): use the access token of a signed-in user.</source>
        <translation>El token no tiene identificador de usuario (una reclamación &quot;sub&quot; de tipo cadena no vacía): use el token de acceso de un usuario que haya iniciado sesión.</translation>
    </message>
    <message>
        <source>The token has no expiry (&quot;exp&quot; claim) and tokens that never expire are refused: issue one with an expiry.</source>
        <translation>El token no tiene caducidad (reclamación &quot;exp&quot;) y se rechazan los tokens que nunca caducan: emita uno con caducidad.</translation>
    </message>
    <message>
        <source>The token&apos;s &quot;exp&quot; claim is not a time in seconds since 1970: issue a token with a valid expiry.</source>
        <translation>La reclamación &quot;exp&quot; del token no es un tiempo en segundos desde 1970: emita un token con una caducidad válida.</translation>
    </message>
    <message>
        <source>The token&apos;s &quot;%1&quot; claim is not a time in seconds since 1970: issue a token with valid times.</source>
        <translation>La reclamación &quot;%1&quot; del token no es un tiempo en segundos desde 1970: emita un token con tiempos válidos.</translation>
    </message>
    <message>
        <source>The token expired at %1: sign in again to get a fresh one.</source>
        <translation>El token caducó el %1: inicie sesión de nuevo para obtener uno nuevo.</translation>
    </message>
    <message>
        <source>The token is not valid before %1: wait until then, or check the clocks of the issuer and of this server.</source>
        <translation>El token no es válido antes de %1: espere hasta entonces o compruebe los relojes del emisor y de este servidor.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::RulesAgent</name>
    <message>
        <source>a whole number of milliseconds from 0 to %1</source>
        <translation>un número entero de milisegundos de 0 a %1</translation>
    </message>
    <message>
        <source>%1: the &quot;}&quot; at offset %2 closes no placeholder: write }} for a literal brace.</source>
        <translation>%1: la «}» en la posición %2 no cierra ningún marcador: escriba }} para una llave literal.</translation>
    </message>
    <message>
        <source>%1: the &quot;{&quot; at offset %2 is not closed: end the placeholder with &quot;}&quot;, or write {{ for a literal brace.</source>
        <translation>%1: la «{» en la posición %2 no está cerrada: termine el marcador con «}» o escriba {{ para una llave literal.</translation>
    </message>
    <message>
        <source>%1: the placeholder {%2} is not known: use {text}, {user_id}, {session_id} or {1} to {9}, and {{ and }} for literal braces.</source>
        <translation>%1: el marcador {%2} no es conocido: use {text}, {user_id}, {session_id} o de {1} a {9}, y {{ y }} para llaves literales.</translation>
    </message>
    <message>
        <source>an object with &quot;match&quot; and &quot;reply&quot;</source>
        <translation>un objeto con &quot;match&quot; y &quot;reply&quot;</translation>
    </message>
    <message>
        <source>true or false</source>
        <translation>true o false</translation>
    </message>
    <message>
        <source>%1: the regular expression is invalid (%2 at offset %3): fix the pattern.</source>
        <translation>%1: la expresión regular no es válida (%2 en la posición %3): corrija el patrón.</translation>
    </message>
    <message>
        <source>The rules are not valid JSON (%1 at byte %2): fix the file there.</source>
        <translation>Las reglas no son JSON válido (%1 en el byte %2): corrija el archivo en ese punto.</translation>
    </message>
    <message>
        <source>The rules are an array, not a JSON object: write one object with &quot;version&quot; and &quot;rules&quot;.</source>
        <translation>Las reglas son un array, no un objeto JSON: escriba un único objeto con &quot;version&quot; y &quot;rules&quot;.</translation>
    </message>
    <message>
        <source>version: the version %1 is not supported: write rules of version 1, as docs/agent-rules.md describes.</source>
        <translation>version: la versión %1 no se admite: escriba reglas de la versión 1, como se describe en docs/agent-rules.md.</translation>
    </message>
    <message>
        <source>an array of rules (it may be empty)</source>
        <translation>un array de reglas (puede estar vacío)</translation>
    </message>
    <message>
        <source>an array of rules</source>
        <translation>un array de reglas</translation>
    </message>
    <message>
        <source>an object with &quot;reply&quot;</source>
        <translation>un objeto con &quot;reply&quot;</translation>
    </message>
    <message>
        <source>The rules file %1 cannot be read (%2): check the path and its permissions.</source>
        <translation>No se puede leer el archivo de reglas %1 (%2): compruebe la ruta y sus permisos.</translation>
    </message>
</context>
<context>
    <name>voxtrack::speech</name>
    <message>
        <source>espeak-ng could not start: install espeak-ng-data (or set ESPEAK_DATA_PATH to its directory).</source>
        <translation>espeak-ng no pudo iniciarse: instale espeak-ng-data (o defina ESPEAK_DATA_PATH con su directorio).</translation>
    </message>
    <message>
        <source>The speech rate %1 is out of range: use %2 to %3 words per minute.</source>
        <translation>La velocidad de habla %1 está fuera del intervalo: use de %2 a %3 palabras por minuto.</translation>
    </message>
    <message>
        <source>The voice &quot;%1&quot; is not known to espeak-ng: use one such as en-us, en-gb or de (espeak-ng --voices lists them all).</source>
        <translation>espeak-ng no conoce la voz «%1»: use una como en-us, en-gb o de (espeak-ng --voices las lista todas).</translation>
    </message>
    <message>
        <source>There is no text to speak: give a sentence to say.</source>
        <translation>No hay texto que pronunciar: indique una frase.</translation>
    </message>
    <message>
        <source>espeak-ng failed to speak the text (error %1): check that espeak-ng-data is complete.</source>
        <translation>espeak-ng no pudo pronunciar el texto (error %1): compruebe que espeak-ng-data está completo.</translation>
    </message>
</context>
<context>
    <name>voxtrack::store</name>
    <message>
        <source>the local socket</source>
        <translation>el socket local</translation>
    </message>
    <message>
        <source>PostgreSQL at %1 refused the login of user &quot;%2&quot; (%3): check the user and password in the URL, PGPASSWORD or ~/.pgpass.</source>
        <translation>PostgreSQL en %1 rechazó el inicio de sesión del usuario «%2» (%3): compruebe el usuario y la contraseña en la URL, PGPASSWORD o ~/.pgpass.</translation>
    </message>
    <message>
        <source>PostgreSQL at %1 has no database &quot;%2&quot;: create it (createdb %2) or fix the database name in the URL.</source>
        <translation>PostgreSQL en %1 no tiene ninguna base de datos «%2»: créela (createdb %2) o corrija el nombre de la base de datos en la URL.</translation>
    </message>
    <message>
        <source>The TLS connection to PostgreSQL at %1 failed (%2): check sslmode and the certificates in the URL.</source>
        <translation>Falló la conexión TLS con PostgreSQL en %1 (%2): compruebe sslmode y los certificados en la URL.</translation>
    </message>
    <message>
        <source>Could not reach PostgreSQL at %1 (%2): start the server, or check the host and port in the URL.</source>
        <translation>No se pudo acceder a PostgreSQL en %1 (%2): inicie el servidor o compruebe el host y el puerto en la URL.</translation>
    </message>
    <message>
        <source>Could not connect to PostgreSQL at %1: %2.</source>
        <translation>No se pudo conectar a PostgreSQL en %1: %2.</translation>
    </message>
    <message>
        <source>%1 keeps sessions in the old shape without a session_id column: upgrade it with voxtrack-cli migrate.</source>
        <translation>%1 guarda las sesiones con la forma antigua sin columna session_id: actualícela con voxtrack-cli migrate.</translation>
    </message>
    <message>
        <source>There is no session &quot;%1&quot; in %2: list the sessions with voxtrack-cli sessions.</source>
        <translation>No hay ninguna sesión «%1» en %2: liste las sesiones con voxtrack-cli sessions.</translation>
    </message>
    <message>
        <source>s</source>
        <translation>s</translation>
    </message>
    <message>
        <source>min</source>
        <translation>min</translation>
    </message>
    <message>
        <source>h</source>
        <translation>h</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>&lt; %1 %2</source>
        <translation>&lt; %1 %2</translation>
    </message>
    <message>
        <source>≥ %1 %2</source>
        <translation>≥ %1 %2</translation>
    </message>
    <message>
        <source>%1–%2 %3</source>
        <translation>%1–%2 %3</translation>
    </message>
    <message>
        <source>minute</source>
        <translation>minuto</translation>
    </message>
    <message>
        <source>hour</source>
        <translation>hora</translation>
    </message>
    <message>
        <source>day</source>
        <translation>día</translation>
    </message>
    <message>
        <source>week</source>
        <translation>semana</translation>
    </message>
    <message>
        <source>Counting by the %1 from %2 to %3 makes %4 buckets, more than %5: choose a larger bucket or a shorter time range.</source>
        <translation>Contar por %1 desde %2 hasta %3 genera %4 intervalos, más de %5: elija un intervalo de agrupación mayor o un periodo más corto.</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::ChangeFeed</name>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>no reason given</source>
        <translation>no se indicó ningún motivo</translation>
    </message>
    <message>
        <source>Connecting to %1 for live updates.</source>
        <translation>Conectando a %1 para las actualizaciones en vivo.</translation>
    </message>
    <message>
        <source>Live updates could not connect to the database (%1): retrying in %2.</source>
        <translation>Las actualizaciones en vivo no pudieron conectar a la base de datos (%1): se reintentará en %2.</translation>
    </message>
    <message>
        <source>Live updates could not follow the database (%1): retrying in %2.</source>
        <translation>Las actualizaciones en vivo no pudieron seguir la base de datos (%1): se reintentará en %2.</translation>
    </message>
    <message>
        <source>Following %1 through notifications.</source>
        <translation>Siguiendo %1 mediante notificaciones.</translation>
    </message>
    <message>
        <source>Following %1 by polling every %2.</source>
        <translation>Siguiendo %1 consultando cada %2.</translation>
    </message>
    <message>
        <source>PostgreSQL refused LISTEN %1 (%2)</source>
        <translation>PostgreSQL rechazó LISTEN %1 (%2)</translation>
    </message>
    <message>
        <source>The database connection was lost (%1): reconnecting in %2.</source>
        <translation>Se perdió la conexión con la base de datos (%1): se reconectará en %2.</translation>
    </message>
    <message>
        <source>the server closed it</source>
        <translation>el servidor la cerró</translation>
    </message>
    <message>
        <source>The change notification &quot;%1&quot; is not valid (%2): it is ignored; check that the database&apos;s voxtrack_notify_change() is the one of migration 0003.</source>
        <translation>La notificación de cambio «%1» no es válida (%2): se ignora; compruebe que la función voxtrack_notify_change() de la base de datos es la de la migración 0003.</translation>
    </message>
    <message>
        <source>not a JSON object</source>
        <translation>no es un objeto JSON</translation>
    </message>
    <message>
        <source>unknown member &quot;%1&quot;</source>
        <translation>miembro desconocido «%1»</translation>
    </message>
    <message>
        <source>the member &quot;%1&quot; is missing</source>
        <translation>falta el miembro «%1»</translation>
    </message>
    <message>
        <source>t must be &quot;sessions&quot; or &quot;messages&quot;</source>
        <translation>t debe ser &quot;sessions&quot; o &quot;messages&quot;</translation>
    </message>
    <message>
        <source>op must be &quot;insert&quot; or &quot;update&quot;</source>
        <translation>op debe ser &quot;insert&quot; o &quot;update&quot;</translation>
    </message>
    <message>
        <source>n must be a whole number of at least 1</source>
        <translation>n debe ser un número entero mayor o igual que 1</translation>
    </message>
    <message>
        <source>min and max must both be whole numbers, or both null</source>
        <translation>min y max deben ser ambos números enteros o ambos null</translation>
    </message>
    <message>
        <source>min is greater than max</source>
        <translation>min es mayor que max</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Connection</name>
    <message>
        <source>The Qt SQL driver %1 is not installed: install the package %2 (scripts/setup does).</source>
        <translation>El controlador Qt SQL %1 no está instalado: instale el paquete %2 (scripts/setup lo hace).</translation>
    </message>
    <message>
        <source>There is no SQLite database at %1: check the path, or create one with voxtrack-cli migrate --db %2.</source>
        <translation>No hay ninguna base de datos SQLite en %1: compruebe la ruta o cree una con voxtrack-cli migrate --db %2.</translation>
    </message>
    <message>
        <source>The directory %1 for the SQLite database does not exist: create it or choose another path.</source>
        <translation>El directorio %1 para la base de datos SQLite no existe: créelo o elija otra ruta.</translation>
    </message>
    <message>
        <source>Could not open the SQLite database %1 (%2): check that the file is a SQLite database and that you may read%3 it.</source>
        <translation>No se pudo abrir la base de datos SQLite %1 (%2): compruebe que el archivo es una base de datos SQLite y que tiene permiso de lectura%3.</translation>
    </message>
    <message>
        <source> and write</source>
        <translation> y escritura</translation>
    </message>
    <message>
        <source>The file %1 is not a usable SQLite database (%2): check the path.</source>
        <translation>El archivo %1 no es una base de datos SQLite utilizable (%2): compruebe la ruta.</translation>
    </message>
    <message>
        <source>PostgreSQL refused the session settings (%1).</source>
        <translation>PostgreSQL rechazó la configuración de la sesión (%1).</translation>
    </message>
    <message>
        <source>PostgreSQL refused a read-only session (%1).</source>
        <translation>PostgreSQL rechazó una sesión de solo lectura (%1).</translation>
    </message>
    <message>
        <source>The database rejected &quot;%1&quot;: %2.</source>
        <translation>La base de datos rechazó «%1»: %2.</translation>
    </message>
    <message>
        <source>Could not begin a transaction: %1.</source>
        <translation>No se pudo iniciar una transacción: %1.</translation>
    </message>
    <message>
        <source>Could not commit the transaction: %1.</source>
        <translation>No se pudo confirmar la transacción: %1.</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Doctor</name>
    <message>
        <source>conversation_sessions has no session_id column (the old shape keyed by id)</source>
        <translation>conversation_sessions no tiene columna session_id (la forma antigua identificada por id)</translation>
    </message>
    <message>
        <source>Run voxtrack-cli migrate: it adds session_id, fills it from id and makes it NOT NULL and UNIQUE.</source>
        <translation>Ejecute voxtrack-cli migrate: añade session_id, lo rellena a partir de id y lo hace NOT NULL y UNIQUE.</translation>
    </message>
    <message>
        <source>tables or columns of the conversation schema are missing</source>
        <translation>faltan tablas o columnas del esquema de conversaciones</translation>
    </message>
    <message>
        <source>Run voxtrack-cli migrate, or add the listed columns.</source>
        <translation>Ejecute voxtrack-cli migrate o añada las columnas indicadas.</translation>
    </message>
    <message>
        <source>conversation_messages.role has no check constraint</source>
        <translation>conversation_messages.role no tiene restricción de comprobación</translation>
    </message>
    <message>
        <source>Add CONSTRAINT conversation_messages_role_check CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;)).</source>
        <translation>Añada CONSTRAINT conversation_messages_role_check CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;)).</translation>
    </message>
    <message>
        <source>the role check does not allow exactly user, agent and system</source>
        <translation>la comprobación de roles no permite exactamente user, agent y system</translation>
    </message>
    <message>
        <source>Replace the constraint with CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;)); agent replies are &apos;agent&apos;, never &apos;assistant&apos;.</source>
        <translation>Sustituya la restricción por CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;)); las respuestas del agente son &apos;agent&apos;, nunca &apos;assistant&apos;.</translation>
    </message>
    <message>
        <source>the role check was added NOT VALID: existing rows were never checked</source>
        <translation>la comprobación de roles se añadió como NOT VALID: las filas existentes nunca se comprobaron</translation>
    </message>
    <message>
        <source>Fix the rows data.role_invalid lists, then ALTER TABLE conversation_messages VALIDATE CONSTRAINT &lt;name&gt;.</source>
        <translation>Corrija las filas que lista data.role_invalid y después ejecute ALTER TABLE conversation_messages VALIDATE CONSTRAINT &lt;name&gt;.</translation>
    </message>
    <message>
        <source>conversation_messages.session_id has no foreign key to conversation_sessions(session_id)</source>
        <translation>conversation_messages.session_id no tiene clave foránea a conversation_sessions(session_id)</translation>
    </message>
    <message>
        <source>Add CONSTRAINT conversation_messages_session_id_fkey FOREIGN KEY (session_id) REFERENCES conversation_sessions (session_id), after removing orphan messages.</source>
        <translation>Añada CONSTRAINT conversation_messages_session_id_fkey FOREIGN KEY (session_id) REFERENCES conversation_sessions (session_id), después de eliminar los mensajes huérfanos.</translation>
    </message>
    <message>
        <source>a session_id column accepts NULL</source>
        <translation>una columna session_id acepta NULL</translation>
    </message>
    <message>
        <source>Fill the NULLs (from id for sessions), then ALTER COLUMN session_id SET NOT NULL.</source>
        <translation>Rellene los NULL (a partir de id para las sesiones) y después ejecute ALTER COLUMN session_id SET NOT NULL.</translation>
    </message>
    <message>
        <source>conversation_sessions.session_id is not unique</source>
        <translation>conversation_sessions.session_id no es único</translation>
    </message>
    <message>
        <source>Add CONSTRAINT conversation_sessions_session_id_key UNIQUE (session_id); the foreign key from messages needs it.</source>
        <translation>Añada CONSTRAINT conversation_sessions_session_id_key UNIQUE (session_id); la clave foránea desde los mensajes lo necesita.</translation>
    </message>
    <message>
        <source>required columns accept NULL</source>
        <translation>columnas obligatorias aceptan NULL</translation>
    </message>
    <message>
        <source>Make the listed columns NOT NULL once data.null_required is clean.</source>
        <translation>Haga NOT NULL las columnas indicadas cuando data.null_required esté limpio.</translation>
    </message>
    <message>
        <source>conversation_messages.message_id is not unique</source>
        <translation>conversation_messages.message_id no es único</translation>
    </message>
    <message>
        <source>Create a unique index on message_id: it is the key that keeps retried writes from doubling messages.</source>
        <translation>Cree un índice único sobre message_id: es la clave que evita que las escrituras reintentadas dupliquen mensajes.</translation>
    </message>
    <message>
        <source>no index on conversation_messages (session_id, created_at) or (session_id, seq)</source>
        <translation>no hay índice en conversation_messages (session_id, created_at) ni (session_id, seq)</translation>
    </message>
    <message>
        <source>CREATE INDEX ON conversation_messages (session_id, created_at): reading a conversation scans the table without it.</source>
        <translation>CREATE INDEX ON conversation_messages (session_id, created_at): sin él, leer una conversación recorre toda la tabla.</translation>
    </message>
    <message>
        <source>the tracking columns (message_count, end_reason, message_id, seq) are missing</source>
        <translation>faltan las columnas de registro (message_count, end_reason, message_id, seq)</translation>
    </message>
    <message>
        <source>Run voxtrack-cli migrate to add them; until then the checks that need them are not run.</source>
        <translation>Ejecute voxtrack-cli migrate para añadirlas; hasta entonces no se ejecutan las comprobaciones que las necesitan.</translation>
    </message>
    <message>
        <source>messages with a role other than user, agent or system</source>
        <translation>mensajes con un rol distinto de user, agent o system</translation>
    </message>
    <message>
        <source>UPDATE conversation_messages SET role = &apos;agent&apos; WHERE role = &apos;assistant&apos;; find the writer that sends the wrong role.</source>
        <translation>UPDATE conversation_messages SET role = &apos;agent&apos; WHERE role = &apos;assistant&apos;; localice el componente que escribe el rol incorrecto.</translation>
    </message>
    <message>
        <source>messages whose session does not exist</source>
        <translation>mensajes cuya sesión no existe</translation>
    </message>
    <message>
        <source>The session insert failed or came after its messages: write the session first (one ordered queue), then delete or re-parent these messages.</source>
        <translation>La inserción de la sesión falló o llegó después de sus mensajes: escriba primero la sesión (una única cola ordenada) y después elimine estos mensajes o asígnelos a otra sesión.</translation>
    </message>
    <message>
        <source>rows with a NULL or empty session_id</source>
        <translation>filas con session_id NULL o vacío</translation>
    </message>
    <message>
        <source>Fill session_id (sessions: from id, as voxtrack-cli migrate does) or delete the rows.</source>
        <translation>Rellene session_id (sesiones: a partir de id, como hace voxtrack-cli migrate) o elimine las filas.</translation>
    </message>
    <message>
        <source>rows with NULL in a required column</source>
        <translation>filas con NULL en una columna obligatoria</translation>
    </message>
    <message>
        <source>Fill the missing user_id, role, content or created_at, or delete the rows.</source>
        <translation>Rellene los user_id, role, content o created_at que faltan, o elimine las filas.</translation>
    </message>
    <message>
        <source>session_id values used by more than one session</source>
        <translation>valores de session_id usados por más de una sesión</translation>
    </message>
    <message>
        <source>Merge or delete the duplicates, then make session_id UNIQUE.</source>
        <translation>Combine o elimine los duplicados y después haga session_id UNIQUE.</translation>
    </message>
    <message>
        <source>message_id values stored more than once</source>
        <translation>valores de message_id almacenados más de una vez</translation>
    </message>
    <message>
        <source>A retried write was stored twice: delete the extra copies and make message_id UNIQUE.</source>
        <translation>Una escritura reintentada se almacenó dos veces: elimine las copias sobrantes y haga message_id UNIQUE.</translation>
    </message>
    <message>
        <source>sessions with an end time that are still marked active</source>
        <translation>sesiones con hora de fin que siguen marcadas como activas</translation>
    </message>
    <message>
        <source>The session end must set is_active = false in the same update as ended_at.</source>
        <translation>El fin de la sesión debe establecer is_active = false en la misma actualización que ended_at.</translation>
    </message>
    <message>
        <source>inactive sessions without an end time</source>
        <translation>sesiones inactivas sin hora de fin</translation>
    </message>
    <message>
        <source>The session end must set ended_at and session_end with is_active = false.</source>
        <translation>El fin de la sesión debe establecer ended_at y session_end con is_active = false.</translation>
    </message>
    <message>
        <source>sessions still active long after they started (never ended)</source>
        <translation>sesiones aún activas mucho después de iniciarse (nunca finalizadas)</translation>
    </message>
    <message>
        <source>End sessions when the socket goes (close, error or ping timeout); a server start closes leftovers with end_reason &apos;recovered&apos;.</source>
        <translation>Finalice las sesiones cuando se cierre el socket (cierre, error o tiempo de espera de ping); al iniciarse, el servidor cierra las restantes con end_reason &apos;recovered&apos;.</translation>
    </message>
    <message>
        <source>ended sessions whose duration_seconds is missing or disagrees with ended_at - started_at</source>
        <translation>sesiones finalizadas cuyo duration_seconds falta o no coincide con ended_at - started_at</translation>
    </message>
    <message>
        <source>Compute duration_seconds from the stored started_at and ended_at, in the same update.</source>
        <translation>Calcule duration_seconds a partir de los started_at y ended_at almacenados, en la misma actualización.</translation>
    </message>
    <message>
        <source>session_start and started_at disagree</source>
        <translation>session_start y started_at no coinciden</translation>
    </message>
    <message>
        <source>Write both columns from one timestamp.</source>
        <translation>Escriba ambas columnas a partir de una única marca de tiempo.</translation>
    </message>
    <message>
        <source>session_end and ended_at disagree</source>
        <translation>session_end y ended_at no coinciden</translation>
    </message>
    <message>
        <source>messages created outside their session&apos;s start and end</source>
        <translation>mensajes creados fuera del inicio y el fin de su sesión</translation>
    </message>
    <message>
        <source>Stamp messages with the server&apos;s clock when they arrive, and end the session after its last message.</source>
        <translation>Marque los mensajes con el reloj del servidor cuando lleguen y finalice la sesión después de su último mensaje.</translation>
    </message>
    <message>
        <source>sessions whose message_count differs from their stored messages</source>
        <translation>sesiones cuyo message_count difiere de sus mensajes almacenados</translation>
    </message>
    <message>
        <source>Messages were lost or written after the session ended: compare the server&apos;s journal, then recount.</source>
        <translation>Se perdieron mensajes o se escribieron después de que finalizara la sesión: compare el diario del servidor y vuelva a contar.</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Migrator</name>
    <message>
        <source>The database %1 is open read-only: migrations need write access; drop ?mode=ro from the URL.</source>
        <translation>La base de datos %1 está abierta en modo de solo lectura: las migraciones requieren acceso de escritura; quite ?mode=ro de la URL.</translation>
    </message>
    <message>
        <source>The database is at schema version %1, newer than this program&apos;s %2: use a newer Voxtrack.</source>
        <translation>La base de datos está en la versión %1 del esquema, más reciente que la %2 de este programa: use un Voxtrack más reciente.</translation>
    </message>
    <message>
        <source>Migration %1 (%2) differs from the one applied to this database: migrations are never edited once released; restore the file or add a new migration.</source>
        <translation>La migración %1 (%2) difiere de la aplicada a esta base de datos: las migraciones nunca se editan una vez publicadas; restaure el archivo o añada una migración nueva.</translation>
    </message>
    <message>
        <source>Migration %1 (%2) failed, nothing was changed: %3</source>
        <translation>La migración %1 (%2) falló y no se modificó nada: %3</translation>
    </message>
    <message>
        <source>The upgrade of the old table shape (sessions keyed by id) failed, nothing was changed: %1 Run voxtrack-cli doctor on the database to see the rows at fault.</source>
        <translation>Falló la actualización de la forma antigua de la tabla (sesiones identificadas por id) y no se modificó nada: %1 Ejecute voxtrack-cli doctor sobre la base de datos para ver las filas problemáticas.</translation>
    </message>
    <message>
        <source>%n session(s) without user_id</source>
        <translation>%n sesión(es) sin user_id</translation>
    </message>
    <message>
        <source>%n session(s) with a NULL id</source>
        <translation>%n sesión(es) con id NULL</translation>
    </message>
    <message>
        <source>%n message(s) belonging to no session</source>
        <translation>%n mensaje(s) sin sesión</translation>
    </message>
    <message>
        <source>%n message(s) with a role other than user, agent or system</source>
        <translation>%n mensaje(s) con un rol distinto de user, agent o system</translation>
    </message>
    <message>
        <source>%n message(s) without content</source>
        <translation>%n mensaje(s) sin contenido</translation>
    </message>
    <message>
        <source>The old table shape (sessions keyed by id) cannot be upgraded, nothing was changed: it holds %1. Run voxtrack-cli doctor on it to see them, fix or delete them, then migrate again.</source>
        <translation>La forma antigua de la tabla (sesiones identificadas por id) no se puede actualizar y no se modificó nada: contiene %1. Ejecute voxtrack-cli doctor sobre ella para verlos, corríjalos o elimínelos y vuelva a migrar.</translation>
    </message>
    <message>
        <source>The upgrade of the old table shape (sessions keyed by id) failed, nothing was changed: %1</source>
        <translation>Falló la actualización de la forma antigua de la tabla (sesiones identificadas por id) y no se modificó nada: %1</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Schema</name>
    <message>
        <source>%1 does not have both conversation_sessions and conversation_messages: use a conversation database, or create the tables with voxtrack-cli migrate.</source>
        <translation>%1 no tiene a la vez conversation_sessions y conversation_messages: use una base de datos de conversaciones o cree las tablas con voxtrack-cli migrate.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker</name>
    <message>
        <source>The journal file %1 cannot be used (%2): check that the journal directory is writable and has space.</source>
        <translation>No se puede usar el archivo de diario %1 (%2): compruebe que el directorio del diario tiene permiso de escritura y espacio libre.</translation>
    </message>
    <message>
        <source>%1 has no conversation tables: create them first with voxtrack-cli migrate on the same --db URL.</source>
        <translation>%1 no tiene tablas de conversaciones: créelas primero con voxtrack-cli migrate sobre la misma URL de --db.</translation>
    </message>
    <message>
        <source>%1 lacks columns of the current schema (%2): bring it up to date with voxtrack-cli migrate on the same --db URL.</source>
        <translation>A %1 le faltan columnas del esquema actual (%2): actualícela con voxtrack-cli migrate sobre la misma URL de --db.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::ConversationTracker</name>
    <message>
        <source>The tracker is shutting down and takes no more messages: reconnect to another server.</source>
        <translation>El registrador se está apagando y no acepta más mensajes: conéctese a otro servidor.</translation>
    </message>
    <message>
        <source>The database is behind by %1 messages and there is no journal to hold more: try again later, or run the server with a journal.</source>
        <translation>La base de datos lleva un retraso de %1 mensajes y no hay diario para guardar más: inténtelo de nuevo más tarde o ejecute el servidor con un diario.</translation>
    </message>
    <message>
        <source>A session needs a session id and a user id: neither may be empty.</source>
        <translation>Una sesión requiere un identificador de sesión y un identificador de usuario: ninguno puede estar vacío.</translation>
    </message>
    <message>
        <source>The session %1 is already open: use a new session id.</source>
        <translation>La sesión %1 ya está abierta: use un identificador de sesión nuevo.</translation>
    </message>
    <message>
        <source>A message needs the id of its session: the session id is empty.</source>
        <translation>Un mensaje requiere el identificador de su sesión: el identificador de sesión está vacío.</translation>
    </message>
    <message>
        <source>There is no open session %1: start the session before its messages, and send nothing after its end.</source>
        <translation>No hay ninguna sesión abierta %1: inicie la sesión antes de sus mensajes y no envíe nada después de su fin.</translation>
    </message>
    <message>
        <source>There is no open session %1 to end: it was never started or has ended already.</source>
        <translation>No hay ninguna sesión abierta %1 que finalizar: nunca se inició o ya ha finalizado.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::Journal</name>
    <message>
        <source>Could not create the journal directory %1: choose a writable directory.</source>
        <translation>No se pudo crear el directorio del diario %1: elija un directorio con permiso de escritura.</translation>
    </message>
    <message>
        <source>The journal checkpoint in %1 is damaged: move the journal directory aside to start afresh (its unwritten messages would be lost).</source>
        <translation>El punto de control del diario en %1 está dañado: aparte el directorio del diario para empezar de cero (se perderían sus mensajes no escritos).</translation>
    </message>
    <message>
        <source>The journal checkpoint in %1 lies past the journal&apos;s end: move the journal directory aside to start afresh.</source>
        <translation>El punto de control del diario en %1 está más allá del final del diario: aparte el directorio del diario para empezar de cero.</translation>
    </message>
    <message>
        <source>A journal record must hold 1 byte to 64 MiB, not %1 bytes.</source>
        <translation>Un registro del diario debe ocupar de 1 byte a 64 MiB, no %1 bytes.</translation>
    </message>
    <message>
        <source>No journal segment holds offset %1.</source>
        <translation>Ningún segmento del diario contiene la posición %1.</translation>
    </message>
    <message>
        <source>A journal record header is cut short.</source>
        <translation>Un encabezado de registro del diario está truncado.</translation>
    </message>
    <message>
        <source>A journal record fails its checksum.</source>
        <translation>Un registro del diario no supera su suma de comprobación.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::Seeder</name>
    <message>
        <source>The number of %1 must be from %2 to %3, not %4: choose one in that range.</source>
        <translation>El número (%1) debe estar entre %2 y %3, no %4: elija uno dentro de ese intervalo.</translation>
    </message>
    <message>
        <source>The seed must be from 0 to %1, not %2: choose one in that range.</source>
        <translation>La semilla debe estar entre 0 y %1, no %2: elija una dentro de ese intervalo.</translation>
    </message>
    <message>
        <source>The share of open sessions must be from 0 to 100 percent, not %1: choose one in that range.</source>
        <translation>La proporción de sesiones abiertas debe estar entre el 0 y el 100 por ciento, no %1: elija una dentro de ese intervalo.</translation>
    </message>
    <message>
        <source>Seeding was interrupted and rolled back: nothing was written. Run it again to seed the database.</source>
        <translation>La generación de datos se interrumpió y se revirtió: no se escribió nada. Ejecútela de nuevo para rellenar la base de datos.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::pg</name>
    <message>
        <source>Writing to PostgreSQL failed (%1): %2.</source>
        <translation>Falló la escritura en PostgreSQL (%1): %2.</translation>
    </message>
    <message>
        <source>The PostgreSQL driver does not expose its libpq connection (it hands out &quot;%1&quot;): Voxtrack needs Qt&apos;s QPSQL driver built against libpq.</source>
        <translation>El controlador de PostgreSQL no expone su conexión libpq (proporciona «%1»): Voxtrack requiere el controlador QPSQL de Qt compilado con libpq.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::pg::CopyIn</name>
    <message>
        <source>Writing to PostgreSQL failed (%1): the statement did not start a COPY FROM STDIN.</source>
        <translation>Falló la escritura en PostgreSQL (%1): la sentencia no inició un COPY FROM STDIN.</translation>
    </message>
</context>
<context>
    <name>voxtrack::wav</name>
    <message>
        <source>This is not a playable WAV file: %1.</source>
        <translation>No es un archivo WAV reproducible: %1.</translation>
    </message>
    <message>
        <source>it does not start with RIFF … WAVE</source>
        <translation>no empieza por RIFF … WAVE</translation>
    </message>
    <message>
        <source>its format chunk is cut short</source>
        <translation>su bloque de formato está truncado</translation>
    </message>
    <message>
        <source>its samples are not plain PCM</source>
        <translation>sus muestras no son PCM simple</translation>
    </message>
    <message>
        <source>its data comes before its format</source>
        <translation>sus datos aparecen antes que su formato</translation>
    </message>
    <message>
        <source>its data chunk says %1 bytes but %2 follow</source>
        <translation>su bloque de datos indica %1 bytes pero siguen %2</translation>
    </message>
    <message>
        <source>its format chunk holds impossible values</source>
        <translation>su bloque de formato contiene valores imposibles</translation>
    </message>
    <message>
        <source>it has no data chunk</source>
        <translation>no tiene bloque de datos</translation>
    </message>
</context>
<context>
    <name>voxtrackd</name>
    <message>
        <source>voxtrackd: the reference conversation-tracking server. Clients speak WebSocket protocol v1 on /v1/conversation; every session and message is journaled, then written to the database in batches; /healthz and /metrics are served on the same port.</source>
        <translation>voxtrackd: el servidor de referencia para el registro de conversaciones. Los clientes hablan el protocolo WebSocket v1 en /v1/conversation; cada sesión y cada mensaje se anotan en el diario y después se escriben en la base de datos por lotes; /healthz y /metrics se sirven en el mismo puerto.</translation>
    </message>
    <message>
        <source>Database URL (default: %1).</source>
        <translation>URL de la base de datos (predeterminado: %1).</translation>
    </message>
    <message>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <source>Address and port to listen on (default 127.0.0.1:8787; port 0 picks a free one).</source>
        <translation>Dirección y puerto en los que escuchar (predeterminado: 127.0.0.1:8787; el puerto 0 elige uno libre).</translation>
    </message>
    <message>
        <source>host:port</source>
        <translation>host:port</translation>
    </message>
    <message>
        <source>HS256 secret that signs client tokens (or $VOXTRACK_TOKEN_SECRET).</source>
        <translation>Secreto HS256 que firma los tokens de los clientes (o $VOXTRACK_TOKEN_SECRET).</translation>
    </message>
    <message>
        <source>secret</source>
        <translation>secreto</translation>
    </message>
    <message>
        <source>No authentication: clients name themselves with ?user_id=.</source>
        <translation>Sin autenticación: los clientes se identifican con ?user_id=.</translation>
    </message>
    <message>
        <source>Largest text frame accepted (default 65536).</source>
        <translation>Trama de texto más grande aceptada (predeterminado: 65536).</translation>
    </message>
    <message>
        <source>bytes</source>
        <translation>bytes</translation>
    </message>
    <message>
        <source>Most sessions open at once (default 10000).</source>
        <translation>Máximo de sesiones abiertas a la vez (predeterminado: 10000).</translation>
    </message>
    <message>
        <source>count</source>
        <translation>cantidad</translation>
    </message>
    <message>
        <source>The simulated agent&apos;s rules file (JSON; see docs/agent-rules.md). Default: built-in rules.</source>
        <translation>El archivo de reglas del agente simulado (JSON; consulte docs/agent-rules.md). Predeterminado: reglas integradas.</translation>
    </message>
    <message>
        <source>file</source>
        <translation>archivo</translation>
    </message>
    <message>
        <source>No simulated replies: an external agent relays its replies with role &quot;agent&quot;.</source>
        <translation>Sin respuestas simuladas: un agente externo transmite sus respuestas con el rol &quot;agent&quot;.</translation>
    </message>
    <message>
        <source>Journal directory (default %1/journal; &quot;none&quot; to run without one).</source>
        <translation>Directorio del diario (predeterminado: %1/journal; &quot;none&quot; para ejecutar sin él).</translation>
    </message>
    <message>
        <source>dir</source>
        <translation>dir</translation>
    </message>
    <message>
        <source>debug, info (default), warning or error.</source>
        <translation>debug, info (predeterminado), warning o error.</translation>
    </message>
    <message>
        <source>level</source>
        <translation>nivel</translation>
    </message>
    <message>
        <source>Milliseconds of silence (no frame, no pong) after which a connection is dropped and its session ended with reason timeout (default 45000).</source>
        <translation>Milisegundos de silencio (sin tramas ni pong) tras los que se corta una conexión y se finaliza su sesión con el motivo timeout (predeterminado: 45000).</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>Milliseconds a stop may take to drain the queue (default 10000).</source>
        <translation>Milisegundos que puede tardar una detención en vaciar la cola (predeterminado: 10000).</translation>
    </message>
    <message>
        <source>For testing a harness only: make the server misbehave on purpose. agent-role (store replies as role user), drop-every=N (acknowledge every N-th user message but never store it), never-end (leave ended sessions active in the database). May be given more than once.</source>
        <translation>Solo para probar un banco de pruebas: hace que el servidor funcione mal a propósito. agent-role (almacena las respuestas con el rol user), drop-every=N (confirma cada N-ésimo mensaje de usuario pero nunca lo almacena), never-end (deja activas en la base de datos las sesiones finalizadas). Puede indicarse más de una vez.</translation>
    </message>
    <message>
        <source>fault</source>
        <translation>fallo</translation>
    </message>
    <message>
        <source>--%1 takes a whole number of at least %2, not &quot;%3&quot;.</source>
        <translation>--%1 requiere un número entero mayor o igual que %2, no «%3».</translation>
    </message>
    <message>
        <source>--log-level takes debug, info, warning or error, not &quot;%1&quot;.</source>
        <translation>--log-level requiere debug, info, warning o error, no «%1».</translation>
    </message>
    <message>
        <source>--listen takes an address and port such as 127.0.0.1:8787 or [::1]:8787, not &quot;%1&quot;.</source>
        <translation>--listen requiere una dirección y un puerto como 127.0.0.1:8787 o [::1]:8787, no «%1».</translation>
    </message>
    <message>
        <source>--no-auth and a token secret exclude each other: choose one.</source>
        <translation>--no-auth y un secreto de token se excluyen mutuamente: elija uno.</translation>
    </message>
    <message>
        <source>Choose how clients prove who they are: --token-secret SECRET (HS256 tokens whose sub is the user id, as Supabase issues them) or --no-auth (identity from ?user_id=).</source>
        <translation>Elija cómo demuestran los clientes quiénes son: --token-secret SECRET (tokens HS256 cuyo sub es el identificador de usuario, como los que emite Supabase) o --no-auth (identidad a partir de ?user_id=).</translation>
    </message>
    <message>
        <source>--test-fault takes agent-role, drop-every=N (N ≥ 1) or never-end, not &quot;%1&quot;.</source>
        <translation>--test-fault requiere agent-role, drop-every=N (N ≥ 1) o never-end, no «%1».</translation>
    </message>
    <message>
        <source>This process may open only %1 files, fewer than --max-sessions %2 needs: raise the limit (ulimit -n) or lower --max-sessions.</source>
        <translation>Este proceso solo puede abrir %1 archivos, menos de los que requiere --max-sessions %2: aumente el límite (ulimit -n) o reduzca --max-sessions.</translation>
    </message>
    <message>
        <source>Directory of stored utterances, served as /audio/&lt;message_id&gt;.wav (default %1/audio; &quot;none&quot; to refuse audio).</source>
        <translation>Directorio de los enunciados almacenados, servidos como /audio/&lt;message_id&gt;.wav (predeterminado: %1/audio; &quot;none&quot; para rechazar el audio).</translation>
    </message>
    <message>
        <source>Longest utterance kept; longer ones are dropped with audio.too_long (default 60).</source>
        <translation>Duración máxima de un enunciado que se conserva; los más largos se descartan con audio.too_long (predeterminado: 60).</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>segundos</translation>
    </message>
    <message>
        <source>Speak the agent&apos;s replies with espeak-ng in this voice (en-us, en-gb, de, …; espeak-ng --voices lists them): each reply is stored as a WAV file and sent with its audio_url. Needs --audio-dir.</source>
        <translation>Pronunciar las respuestas del agente con espeak-ng en esta voz (en-us, en-gb, de, …; espeak-ng --voices las lista): cada respuesta se almacena como archivo WAV y se envía con su audio_url. Requiere --audio-dir.</translation>
    </message>
    <message>
        <source>voice</source>
        <translation>voz</translation>
    </message>
    <message>
        <source>--speak-replies stores the spoken replies: give an --audio-dir other than none.</source>
        <translation>--speak-replies almacena las respuestas habladas: indique un --audio-dir distinto de none.</translation>
    </message>
</context>
</TS>
