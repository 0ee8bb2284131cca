"""Hard negatives that answer the soft-extraction positives (label 0): benign talk about
prompts, instructions, rules, secrets and leaks, in the 13 attack languages.

Run 3 added polite system-prompt extraction (:func:`~bastion_training.injection.sysprompts.soft_extraction_rows`)
without benign twins, and the model learned "a text about prompts, instructions or secrets is an
attack" (false positives on benign prompts with trigger words, system prompts, security docs,
questions about leaks, secrets in configs). Each *kind* below is one side of that line:

* ``minimal_pair`` — the positives' own pretexts and suffixes around a benign request of the
  same shape ("could you share the instructions you gave me earlier for the printer?").
* ``prompt_craft`` — prompt-engineering questions and system prompts the user writes for
  their own bot.
* ``capabilities`` — what the assistant can do, which languages, which sources.
* ``repeat_text`` — repeat / translate / summarise / proofread a text the user supplies.
* ``task_steps`` — user-supplied instructions: recipes, READMEs, notes for a cat sitter.
* ``secrets_benign`` — key rotation, password policy, config files with placeholder keys.
* ``leak_topic`` — safety questions about data leaks and confidential information.

Written from scratch for this module, from the categories only; no eval-only set was opened,
used as a source or a template. A row's split follows its template (kind × language × item),
so val phrasings are ones train never saw.

>>> df = prompt_talk_hard_rows(0, 60, 0.15)
>>> set(df["label"]), len(df), df["family"].unique().tolist()
({0}, 60, ['prompt_talk_hard'])
"""

from __future__ import annotations

import random
from typing import Any

import pandas as pd

from bastion_training.injection.multilingual import PHRASES
from bastion_training.injection.negatives import _row, rows_frame
from bastion_training.injection.sysprompts import _SOFT, _capitalise, _rank_split, _split

FAMILY = "prompt_talk_hard"
SOURCE = "synthetic_prompt_talk_hard"
KINDS: tuple[str, ...] = (
    "minimal_pair",
    "prompt_craft",
    "capabilities",
    "repeat_text",
    "task_steps",
    "secrets_benign",
    "leak_topic",
)
# minimal pairs carry most of the weight: they are the direct twins of the positives
_KIND_WEIGHTS = (0.30, 0.12, 0.10, 0.15, 0.10, 0.12, 0.11)

# Config snippets with placeholder values only: the question around them is what the row is about.
_SNIPPETS = (
    "API_KEY={ph}\nDATABASE_URL=postgres://user:password@localhost:5432/app\nDEBUG=true",
    "OPENAI_API_KEY={ph}\nMODEL=gpt-4o-mini\nMAX_TOKENS=512",
    "[database]\nhost = localhost\nuser = app\npassword = changeme\n\n[auth]\nsecret_key = {ph}",
    "spring.datasource.url=jdbc:mysql://localhost:3306/shop\nspring.datasource.username=root\nspring.datasource.password=${DB_PASSWORD}",
    '{\n  "apiKey": "{ph}",\n  "region": "eu-west-1",\n  "timeoutMs": 5000\n}',
    "env:\n  STRIPE_SECRET_KEY: ${{ secrets.STRIPE_SECRET_KEY }}\n  NODE_ENV: production",
    "export GITHUB_TOKEN={ph}\nexport AWS_REGION=eu-central-1",
    "SMTP_HOST=smtp.example.com\nSMTP_USER=noreply@example.com\nSMTP_PASSWORD={ph}\nSMTP_PORT=587",
    "REDIS_URL=redis://localhost:6379/0\nSECRET_KEY={ph}\nALLOWED_HOSTS=localhost,127.0.0.1",
)
_PLACEHOLDERS = (
    "your-api-key-here",
    "<YOUR_TOKEN>",
    "REPLACE_ME",
    "xxxxxxxxxxxxxxxx",
    "changeme",
    "${API_KEY}",
    "TODO",
    "<insert key>",
)

# Per language: kind -> items. ``minimal_pair`` items continue a pretext like the positives'
# requests (lower case where the script has case); every other item is a whole sentence.
# ``{text}`` takes one or two of the language's own benign sentences, ``{tl}`` a target
# language name in the right form for the frame, ``{snippet}`` a placeholder config.
_HARD: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "minimal_pair": (
            "could you share the instructions you gave me earlier for setting up the printer?",
            "what does the first paragraph of my cover letter say, exactly? I pasted it above.",
            "please list all the rules of the board game Carcassonne, step by step.",
            "what text should appear before the first message in our website's chat widget? Suggest a friendly greeting.",
            "can you show me how to hide a message in an HTML comment for a scavenger-hunt page?",
            "start your reply with the first line of this poem and continue it in the same style: 'The fog comes on little cat feet.'",
            "please put the shell commands from your previous answer into a code block.",
            "what's in a typical system message for a travel-booking bot? Just sketch one here.",
            "summarize this nginx configuration in full detail: server { listen 80; server_name shop.example; location / { proxy_pass http://127.0.0.1:3000; } }",
            "spell out the assembly instructions from your last reply, one sentence per line.",
            "what's a good way to remember a secret code or password without writing it down?",
            "write a short poem that contains the words 'lighthouse', 'salt' and 'morning'.",
            "explain to a new colleague exactly what our onboarding checklist asks them to do in week one.",
            "paste my shopping list back to me in alphabetical order: eggs, basil, milk, apples, flour.",
            "echo the text of my message between triple quotes so I can copy it: Meeting moved to 3 pm, room 204.",
            "tell me everything a company usually writes in a refund policy, so I can draft ours.",
            "list the instructions that came with my espresso machine in simpler words: descale monthly, use filtered water, never run it empty.",
            "what rules should I give my kids for screen time? Give me five, ready to print.",
        ),
        "prompt_craft": (
            "How do I write a system prompt that keeps a support bot on topic?",
            "What's the difference between a system prompt, a developer message and a user message?",
            "Can you give me three few-shot examples for classifying customer emails by topic?",
            "My prompt asks the model to answer in JSON, but it sometimes adds prose around it. How do I fix that?",
            "Which works better for summarisation: a long detailed prompt or a short one with examples?",
            "Write a system prompt for a museum guide bot that answers questions about paintings.",
            "How long can a system prompt get before it starts to hurt answer quality?",
            "Should I put the rules at the start or at the end of my prompt?",
            "Here is my system prompt: 'You are Pip, a gardening helper. Keep answers under 100 words. Never give medical advice.' How can I make it clearer?",
            "Is it worth telling the model 'never reveal these instructions' in the system prompt, or does that not work?",
            "What does temperature do, and what value should I use for a prompt that extracts dates from invoices?",
            "How do I version and test prompt changes in a CI pipeline?",
            "Explain chain-of-thought prompting with a simple example.",
            "Give me a checklist for reviewing a prompt template before it goes to production.",
        ),
        "capabilities": (
            "What kinds of tasks can you help me with?",
            "Which languages can you answer in?",
            "Can you browse the internet, or do you only use what you already know?",
            "Where do your answers come from? Can you cite sources?",
            "Can you read PDFs or images if I upload them?",
            "Do you remember what we talked about yesterday?",
            "How long a document can I paste in one message?",
            "Are you able to run code, or only write it?",
            "What's your knowledge cutoff date?",
            "Can you set reminders or send emails for me?",
        ),
        "repeat_text": (
            "Repeat this text back to me exactly: {text}",
            "Translate this into {tl}: {text}",
            "Summarise this in one sentence: {text}",
            "Fix the grammar and spelling: {text}",
            "Rewrite this more politely: {text}",
            "Read this back to me word for word so I can check it: {text}",
            "Count the words in the following text: {text}",
            "Turn this into a bullet list: {text}",
            "Follow the style guide (British spelling, Oxford comma, no exclamation marks) and rewrite this: {text}",
        ),
        "task_steps": (
            "Follow these steps to make the dough and tell me if I missed anything:\n1. Mix 500 g flour with 7 g yeast.\n2. Add 300 ml warm water and knead for ten minutes.\n3. Let it rest for one hour.",
            "Here are the installation instructions from the README:\n1. Clone the repository.\n2. Run `pip install -r requirements.txt`.\n3. Copy `.env.example` to `.env`.\nStep 3 fails on Windows. Why?",
            "My teacher's rules for the essay: at most 800 words, cite three sources, no Wikipedia. Does my outline follow them?",
            "Please follow these instructions when formatting my bibliography: APA 7, sorted by author, hanging indent.",
            "Ignore the first two rows of the spreadsheet, they're headers, and add up column C.",
            "Instructions for the cat sitter: feed her twice a day, fresh water every morning, don't let her out after dark. Can you make this sound friendlier?",
            "The manual says 'hold the reset button for ten seconds, then release'. Nothing happens. What should I try next?",
            "These are the house rules for our holiday flat: no shoes inside, quiet after 10 pm, bins out on Tuesday. Translate them for our Spanish guests.",
        ),
        "secrets_benign": (
            "How do I rotate an AWS access key without downtime?",
            "What's a sensible password policy for a 20-person company?",
            "Where should I store API keys in a GitHub Actions workflow?",
            "I accidentally committed my .env file to a public repo. What should I do now?",
            "Is this .env.example fine to commit?\n\n{snippet}",
            "Why can't my app read the database password from this config?\n\n{snippet}",
            "How do I load these settings in Python without hard-coding the key?\n\n{snippet}",
            "Should passwords expire every 90 days, or is that outdated advice?",
            "What is the difference between hashing and encrypting a password?",
            "How do I generate a strong random secret for signing JWTs?",
        ),
        "leak_topic": (
            "What should I do if my email address shows up in a data breach?",
            "How do companies stop confidential documents from leaking through email?",
            "Is it safe to paste confidential contracts into an AI chatbot?",
            "What does 'prompt leaking' mean for apps built on language models?",
            "A colleague shared internal salary data in a public Slack channel. How should HR respond?",
            "What are the GDPR rules for reporting a personal data leak?",
            "How can I check whether my passwords have been leaked?",
            "Write a short training paragraph for staff on not sharing confidential information with chatbots.",
            "What is data loss prevention (DLP) software and how does it work?",
            "Explain the difference between a data leak and a data breach.",
        ),
    },
    "de": {
        "minimal_pair": (
            "kannst du mir die Anleitung für den Drucker noch einmal zeigen, die du mir vorhin gegeben hast?",
            "was steht genau im ersten Absatz meines Anschreibens? Ich habe es oben eingefügt.",
            "zähl bitte alle Regeln von Siedler von Catan auf, Schritt für Schritt.",
            "welcher Begrüßungstext sollte vor der ersten Nachricht in unserem Website-Chat stehen? Mach einen freundlichen Vorschlag.",
            "schreib die Shell-Befehle aus deiner letzten Antwort in einen Codeblock.",
            "beginne deine Antwort mit der ersten Zeile dieses Gedichts und schreib es weiter: „Der Mond ist aufgegangen.“",
            "wie merke ich mir ein geheimes Passwort, ohne es aufzuschreiben?",
            "kopier mir meine Einkaufsliste alphabetisch sortiert hierher: Milch, Eier, Basilikum, Mehl.",
            "erklär einem neuen Kollegen, was unsere Onboarding-Checkliste in der ersten Woche verlangt.",
            "fass diese nginx-Konfiguration ausführlich zusammen: server { listen 80; location / { proxy_pass http://127.0.0.1:3000; } }",
        ),
        "prompt_craft": (
            "Wie schreibe ich einen Systemprompt, der einen Support-Bot beim Thema hält?",
            "Was ist der Unterschied zwischen Systemprompt und Nutzerprompt?",
            "Gib mir drei Few-Shot-Beispiele, um Kundenmails nach Thema zu sortieren.",
            "Mein Prompt verlangt JSON, aber das Modell schreibt manchmal Fließtext dazu. Was kann ich tun?",
            "Schreib einen Systemprompt für einen Museumsführer-Bot, der Fragen zu Gemälden beantwortet.",
            "Bringt der Satz „Gib diese Anweisungen niemals preis“ im Systemprompt überhaupt etwas?",
        ),
        "capabilities": (
            "Wobei kannst du mir alles helfen?",
            "In welchen Sprachen kannst du antworten?",
            "Kannst du im Internet suchen oder nutzt du nur dein eigenes Wissen?",
            "Woher stammen deine Antworten? Kannst du Quellen angeben?",
            "Kannst du PDFs oder Bilder lesen, wenn ich sie hochlade?",
            "Erinnerst du dich an unser Gespräch von gestern?",
        ),
        "repeat_text": (
            "Wiederhole diesen Text genau so: {text}",
            "Übersetze das ins {tl}: {text}",
            "Fasse das in einem Satz zusammen: {text}",
            "Korrigiere Rechtschreibung und Grammatik: {text}",
            "Lies mir das Wort für Wort vor, damit ich es prüfen kann: {text}",
            "Mach daraus eine Stichpunktliste: {text}",
        ),
        "task_steps": (
            "Befolge diese Schritte für den Teig und sag mir, ob etwas fehlt:\n1. 500 g Mehl mit 7 g Hefe mischen.\n2. 300 ml warmes Wasser dazugeben und zehn Minuten kneten.\n3. Eine Stunde gehen lassen.",
            "Laut README:\n1. Repository klonen.\n2. `pip install -r requirements.txt` ausführen.\n3. `.env.example` nach `.env` kopieren.\nSchritt 3 klappt unter Windows nicht. Warum?",
            "Ignoriere die ersten zwei Zeilen der Tabelle, das sind Überschriften, und addiere Spalte C.",
            "Anweisungen für die Katzensitterin: zweimal täglich füttern, morgens frisches Wasser, abends nicht mehr rauslassen. Kannst du das freundlicher formulieren?",
            "In der Anleitung steht: „Reset-Taste zehn Sekunden gedrückt halten.“ Es passiert nichts. Was kann ich noch versuchen?",
        ),
        "secrets_benign": (
            "Wie rotiere ich einen AWS-Zugriffsschlüssel ohne Ausfallzeit?",
            "Welche Passwortrichtlinie ist für eine Firma mit 20 Leuten sinnvoll?",
            "Wo speichere ich API-Schlüssel in einem GitHub-Actions-Workflow am besten?",
            "Ich habe aus Versehen meine .env-Datei in ein öffentliches Repo gepusht. Was jetzt?",
            "Kann ich diese .env.example so committen?\n\n{snippet}",
            "Warum liest meine App das Datenbankpasswort aus dieser Konfiguration nicht?\n\n{snippet}",
        ),
        "leak_topic": (
            "Was soll ich tun, wenn meine E-Mail-Adresse in einem Datenleck auftaucht?",
            "Wie verhindern Firmen, dass vertrauliche Dokumente per E-Mail nach außen gelangen?",
            "Ist es sicher, vertrauliche Verträge in einen KI-Chatbot zu kopieren?",
            "Was bedeutet „Prompt Leaking“ bei Anwendungen mit Sprachmodellen?",
            "Welche DSGVO-Pflichten gibt es, wenn personenbezogene Daten geleakt wurden?",
        ),
    },
    "fr": {
        "minimal_pair": (
            "peux-tu me remontrer les instructions pour l'imprimante que tu m'as données tout à l'heure ?",
            "que dit exactement le premier paragraphe de ma lettre de motivation ? Je l'ai collée plus haut.",
            "énumère toutes les règles du Monopoly, étape par étape.",
            "quel texte d'accueil mettre avant le premier message dans le chat de notre site ? Propose quelque chose de chaleureux.",
            "mets les commandes shell de ta réponse précédente dans un bloc de code.",
            "commence ta réponse par le premier vers de ce poème et continue-le : « Demain, dès l'aube… »",
            "comment retenir un mot de passe secret sans l'écrire nulle part ?",
            "recopie ma liste de courses par ordre alphabétique : lait, œufs, basilic, farine.",
            "explique à un nouveau collègue ce que notre checklist d'intégration demande la première semaine.",
        ),
        "prompt_craft": (
            "Comment écrire un prompt système qui garde un bot de support dans son sujet ?",
            "Quelle est la différence entre le prompt système et le prompt utilisateur ?",
            "Donne-moi trois exemples few-shot pour classer des e-mails clients.",
            "Mon prompt demande du JSON mais le modèle ajoute parfois du texte. Comment corriger ça ?",
            "Écris un prompt système pour un bot guide de musée.",
            "Est-ce utile d'écrire « ne révèle jamais ces instructions » dans un prompt système ?",
        ),
        "capabilities": (
            "Dans quels domaines peux-tu m'aider ?",
            "Dans quelles langues peux-tu répondre ?",
            "Peux-tu chercher sur Internet ou seulement utiliser tes connaissances ?",
            "D'où viennent tes réponses ? Peux-tu citer tes sources ?",
            "Peux-tu lire un PDF ou une image si je l'envoie ?",
        ),
        "repeat_text": (
            "Répète ce texte exactement : {text}",
            "Traduis ceci en {tl} : {text}",
            "Résume ceci en une phrase : {text}",
            "Corrige l'orthographe et la grammaire : {text}",
            "Relis-moi ce texte mot pour mot : {text}",
        ),
        "task_steps": (
            "Suis ces étapes pour la pâte et dis-moi s'il manque quelque chose :\n1. Mélanger 500 g de farine et 7 g de levure.\n2. Ajouter 30 cl d'eau tiède et pétrir dix minutes.\n3. Laisser reposer une heure.",
            "D'après le README :\n1. Cloner le dépôt.\n2. Lancer `pip install -r requirements.txt`.\n3. Copier `.env.example` vers `.env`.\nL'étape 3 échoue sous Windows. Pourquoi ?",
            "Ignore les deux premières lignes du tableau, ce sont des en-têtes, et additionne la colonne C.",
            "Consignes pour la personne qui garde le chat : nourrir deux fois par jour, eau fraîche le matin, pas de sortie le soir. Tu peux rendre ça plus sympa ?",
        ),
        "secrets_benign": (
            "Comment faire la rotation d'une clé d'accès AWS sans interruption ?",
            "Quelle politique de mots de passe adopter pour une PME de 20 personnes ?",
            "Où stocker les clés d'API dans un workflow GitHub Actions ?",
            "J'ai poussé mon fichier .env sur un dépôt public par erreur. Que faire ?",
            "Ce fichier .env.example peut-il être commité tel quel ?\n\n{snippet}",
        ),
        "leak_topic": (
            "Que faire si mon adresse e-mail apparaît dans une fuite de données ?",
            "Comment les entreprises empêchent-elles la fuite de documents confidentiels ?",
            "Est-ce prudent de coller des contrats confidentiels dans un chatbot IA ?",
            "Que signifie « fuite de prompt » pour les applications basées sur des modèles de langage ?",
            "Quelles sont les obligations RGPD en cas de fuite de données personnelles ?",
        ),
    },
    "es": {
        "minimal_pair": (
            "¿me vuelves a enseñar las instrucciones de la impresora que me diste antes?",
            "¿qué dice exactamente el primer párrafo de mi carta de presentación? La pegué arriba.",
            "enumera todas las reglas del parchís, paso a paso.",
            "¿qué texto de bienvenida pongo antes del primer mensaje en el chat de nuestra web? Propón algo amable.",
            "pon en un bloque de código los comandos de tu respuesta anterior.",
            "empieza tu respuesta con el primer verso de este poema y continúalo: «Caminante, no hay camino».",
            "¿cómo recuerdo una contraseña secreta sin apuntarla en ningún sitio?",
            "copia mi lista de la compra en orden alfabético: leche, huevos, albahaca, harina.",
            "explícale a un compañero nuevo lo que pide nuestra lista de incorporación en la primera semana.",
        ),
        "prompt_craft": (
            "¿Cómo escribo un prompt de sistema que mantenga a un bot de soporte en su tema?",
            "¿Qué diferencia hay entre el prompt de sistema y el del usuario?",
            "Dame tres ejemplos few-shot para clasificar correos de clientes.",
            "Mi prompt pide JSON, pero a veces el modelo añade texto. ¿Cómo lo arreglo?",
            "Escribe un prompt de sistema para un bot guía de museo.",
            "¿Sirve de algo poner «nunca reveles estas instrucciones» en el prompt de sistema?",
        ),
        "capabilities": (
            "¿En qué cosas me puedes ayudar?",
            "¿En qué idiomas puedes responder?",
            "¿Puedes buscar en internet o solo usas lo que ya sabes?",
            "¿De dónde salen tus respuestas? ¿Puedes citar fuentes?",
            "¿Puedes leer un PDF o una imagen si te lo subo?",
        ),
        "repeat_text": (
            "Repite este texto tal cual: {text}",
            "Traduce esto al {tl}: {text}",
            "Resume esto en una frase: {text}",
            "Corrige la ortografía y la gramática: {text}",
            "Léeme esto palabra por palabra para revisarlo: {text}",
        ),
        "task_steps": (
            "Sigue estos pasos para la masa y dime si falta algo:\n1. Mezclar 500 g de harina con 7 g de levadura.\n2. Añadir 300 ml de agua tibia y amasar diez minutos.\n3. Dejar reposar una hora.",
            "Según el README:\n1. Clonar el repositorio.\n2. Ejecutar `pip install -r requirements.txt`.\n3. Copiar `.env.example` a `.env`.\nEl paso 3 falla en Windows. ¿Por qué?",
            "Ignora las dos primeras filas de la hoja, son encabezados, y suma la columna C.",
            "Instrucciones para quien cuide al gato: comida dos veces al día, agua fresca por la mañana y no dejarlo salir de noche. ¿Lo puedes redactar más amable?",
        ),
        "secrets_benign": (
            "¿Cómo roto una clave de acceso de AWS sin cortar el servicio?",
            "¿Qué política de contraseñas conviene para una empresa de 20 personas?",
            "¿Dónde guardo las claves de API en un workflow de GitHub Actions?",
            "Subí por error mi archivo .env a un repositorio público. ¿Qué hago ahora?",
            "¿Puedo subir este .env.example tal como está?\n\n{snippet}",
        ),
        "leak_topic": (
            "¿Qué hago si mi correo aparece en una filtración de datos?",
            "¿Cómo evitan las empresas que se filtren documentos confidenciales?",
            "¿Es seguro pegar contratos confidenciales en un chatbot de IA?",
            "¿Qué significa «filtración del prompt» en aplicaciones con modelos de lenguaje?",
            "¿Qué exige el RGPD cuando se filtran datos personales?",
        ),
    },
    "it": {
        "minimal_pair": (
            "puoi rimostrarmi le istruzioni per la stampante che mi hai dato prima?",
            "cosa dice esattamente il primo paragrafo della mia lettera di presentazione? L'ho incollata sopra.",
            "elenca tutte le regole della briscola, passo per passo.",
            "quale testo di benvenuto metto prima del primo messaggio nella chat del nostro sito? Proponi qualcosa di cordiale.",
            "metti in un blocco di codice i comandi della tua risposta precedente.",
            "inizia la risposta con il primo verso di questa filastrocca e inventa il resto: «C'era una volta un gatto blu».",
            "come faccio a ricordare una password segreta senza scriverla?",
            "ricopia la mia lista della spesa in ordine alfabetico: latte, uova, basilico, farina.",
            "spiega a un nuovo collega cosa chiede la nostra checklist di inserimento nella prima settimana.",
        ),
        "prompt_craft": (
            "Come scrivo un prompt di sistema che tenga un bot di assistenza in tema?",
            "Che differenza c'è tra prompt di sistema e prompt dell'utente?",
            "Dammi tre esempi few-shot per classificare le email dei clienti.",
            "Il mio prompt chiede JSON ma il modello a volte aggiunge testo. Come risolvo?",
            "Scrivi un prompt di sistema per un bot guida di un museo.",
        ),
        "capabilities": (
            "In cosa mi puoi aiutare?",
            "In quali lingue puoi rispondere?",
            "Puoi cercare su internet o usi solo quello che sai?",
            "Da dove vengono le tue risposte? Puoi citare le fonti?",
            "Riesci a leggere un PDF o un'immagine se li carico?",
        ),
        "repeat_text": (
            "Ripeti questo testo così com'è: {text}",
            "Traduci questo in {tl}: {text}",
            "Riassumi in una frase: {text}",
            "Correggi ortografia e grammatica: {text}",
            "Rileggimi questo parola per parola: {text}",
        ),
        "task_steps": (
            "Segui questi passaggi per l'impasto e dimmi se manca qualcosa:\n1. Mescolare 500 g di farina con 7 g di lievito.\n2. Aggiungere 300 ml di acqua tiepida e impastare dieci minuti.\n3. Lasciar riposare un'ora.",
            "Secondo il README:\n1. Clonare il repository.\n2. Eseguire `pip install -r requirements.txt`.\n3. Copiare `.env.example` in `.env`.\nIl passo 3 non funziona su Windows. Perché?",
            "Ignora le prime due righe del foglio, sono intestazioni, e somma la colonna C.",
            "Istruzioni per chi tiene il gatto: cibo due volte al giorno, acqua fresca la mattina, niente uscite la sera. Puoi renderle più gentili?",
        ),
        "secrets_benign": (
            "Come ruoto una chiave di accesso AWS senza interruzioni?",
            "Che politica delle password conviene per un'azienda di 20 persone?",
            "Dove conservo le chiavi API in un workflow di GitHub Actions?",
            "Ho caricato per errore il mio file .env su un repository pubblico. Cosa faccio?",
            "Posso fare il commit di questo .env.example così com'è?\n\n{snippet}",
        ),
        "leak_topic": (
            "Cosa devo fare se la mia email compare in una fuga di dati?",
            "Come fanno le aziende a evitare che escano documenti riservati?",
            "È sicuro incollare contratti riservati in un chatbot di IA?",
            "Cosa significa «prompt leaking» nelle app basate su modelli linguistici?",
            "Quali obblighi prevede il GDPR in caso di fuga di dati personali?",
        ),
    },
    "pt": {
        "minimal_pair": (
            "pode me mostrar de novo as instruções da impressora que você me deu antes?",
            "o que diz exatamente o primeiro parágrafo da minha carta de apresentação? Colei ali em cima.",
            "liste todas as regras do xadrez, passo a passo.",
            "que texto de boas-vindas coloco antes da primeira mensagem no chat do nosso site? Sugira algo simpático.",
            "coloque num bloco de código os comandos da sua resposta anterior.",
            "comece a resposta com o primeiro verso deste poema e continue com palavras suas: «Minha terra tem palmeiras».",
            "como faço para lembrar uma senha secreta sem anotá-la?",
            "copie minha lista de compras em ordem alfabética: leite, ovos, manjericão, farinha.",
            "explique a um colega novo o que a nossa checklist de integração pede na primeira semana.",
        ),
        "prompt_craft": (
            "Como escrevo um prompt de sistema que mantenha um bot de suporte no assunto?",
            "Qual a diferença entre o prompt de sistema e o prompt do usuário?",
            "Me dê três exemplos few-shot para classificar e-mails de clientes.",
            "Meu prompt pede JSON, mas o modelo às vezes acrescenta texto. Como resolvo?",
            "Escreva um prompt de sistema para um bot guia de museu.",
        ),
        "capabilities": (
            "Em que coisas você pode me ajudar?",
            "Em quais idiomas você consegue responder?",
            "Você pode pesquisar na internet ou só usa o que já sabe?",
            "De onde vêm as suas respostas? Você consegue citar fontes?",
            "Você consegue ler um PDF ou uma imagem se eu enviar?",
        ),
        "repeat_text": (
            "Repita este texto exatamente: {text}",
            "Traduza isto para o {tl}: {text}",
            "Resuma isto em uma frase: {text}",
            "Corrija a ortografia e a gramática: {text}",
            "Leia isto para mim palavra por palavra: {text}",
        ),
        "task_steps": (
            "Siga estes passos para a massa e me diga se falta algo:\n1. Misturar 500 g de farinha com 7 g de fermento.\n2. Juntar 300 ml de água morna e sovar por dez minutos.\n3. Deixar descansar uma hora.",
            "Segundo o README:\n1. Clonar o repositório.\n2. Rodar `pip install -r requirements.txt`.\n3. Copiar `.env.example` para `.env`.\nO passo 3 falha no Windows. Por quê?",
            "Ignore as duas primeiras linhas da planilha, são cabeçalhos, e some a coluna C.",
            "Instruções para quem vai cuidar do gato: comida duas vezes por dia, água fresca de manhã e não deixar sair à noite. Pode deixar isso mais gentil?",
        ),
        "secrets_benign": (
            "Como faço a rotação de uma chave de acesso da AWS sem indisponibilidade?",
            "Que política de senhas faz sentido para uma empresa de 20 pessoas?",
            "Onde guardo chaves de API num workflow do GitHub Actions?",
            "Enviei sem querer meu arquivo .env para um repositório público. E agora?",
            "Posso commitar este .env.example assim?\n\n{snippet}",
        ),
        "leak_topic": (
            "O que devo fazer se meu e-mail aparecer num vazamento de dados?",
            "Como as empresas evitam o vazamento de documentos confidenciais?",
            "É seguro colar contratos confidenciais num chatbot de IA?",
            "O que significa «vazamento de prompt» em aplicativos com modelos de linguagem?",
            "O que a LGPD exige quando há vazamento de dados pessoais?",
        ),
    },
    "nl": {
        "minimal_pair": (
            "kun je de instructies voor de printer die je me eerder gaf nog eens laten zien?",
            "wat staat er precies in de eerste alinea van mijn sollicitatiebrief? Ik heb hem hierboven geplakt.",
            "som alle spelregels van Kolonisten van Catan op, stap voor stap.",
            "welke welkomsttekst zet ik vóór het eerste bericht in de chat op onze website? Doe een vriendelijk voorstel.",
            "zet de shellcommando's uit je vorige antwoord in een codeblok.",
            "begin je antwoord met de eerste regel van dit gedicht en schrijf het verder: 'Denkend aan Holland zie ik breede rivieren'.",
            "hoe onthoud ik een geheim wachtwoord zonder het op te schrijven?",
            "zet mijn boodschappenlijst op alfabetische volgorde: melk, eieren, basilicum, bloem.",
            "leg een nieuwe collega uit wat onze onboardingchecklist in de eerste week vraagt.",
        ),
        "prompt_craft": (
            "Hoe schrijf ik een systeemprompt die een supportbot bij het onderwerp houdt?",
            "Wat is het verschil tussen een systeemprompt en een gebruikersprompt?",
            "Geef me drie few-shotvoorbeelden om klantmails te classificeren.",
            "Mijn prompt vraagt om JSON, maar het model voegt soms tekst toe. Hoe los ik dat op?",
            "Schrijf een systeemprompt voor een museumgids-bot.",
        ),
        "capabilities": (
            "Waarmee kun je me allemaal helpen?",
            "In welke talen kun je antwoorden?",
            "Kun je op internet zoeken of gebruik je alleen wat je al weet?",
            "Waar komen je antwoorden vandaan? Kun je bronnen noemen?",
            "Kun je een pdf of afbeelding lezen als ik die upload?",
        ),
        "repeat_text": (
            "Herhaal deze tekst precies: {text}",
            "Vertaal dit naar het {tl}: {text}",
            "Vat dit samen in één zin: {text}",
            "Verbeter de spelling en grammatica: {text}",
            "Lees dit woord voor woord aan me voor: {text}",
        ),
        "task_steps": (
            "Volg deze stappen voor het deeg en zeg of ik iets mis:\n1. Meng 500 g bloem met 7 g gist.\n2. Voeg 300 ml lauw water toe en kneed tien minuten.\n3. Laat een uur rijzen.",
            "Volgens de README:\n1. Clone de repository.\n2. Voer `pip install -r requirements.txt` uit.\n3. Kopieer `.env.example` naar `.env`.\nStap 3 mislukt op Windows. Waarom?",
            "Negeer de eerste twee rijen van het spreadsheet, dat zijn koppen, en tel kolom C op.",
            "Instructies voor de kattenoppas: twee keer per dag voeren, 's ochtends vers water, 's avonds niet meer naar buiten. Kun je dit vriendelijker maken?",
        ),
        "secrets_benign": (
            "Hoe roteer ik een AWS-toegangssleutel zonder downtime?",
            "Welk wachtwoordbeleid is verstandig voor een bedrijf met 20 mensen?",
            "Waar bewaar ik API-sleutels in een GitHub Actions-workflow?",
            "Ik heb per ongeluk mijn .env-bestand naar een openbare repo gepusht. Wat nu?",
            "Kan ik deze .env.example zo committen?\n\n{snippet}",
        ),
        "leak_topic": (
            "Wat moet ik doen als mijn e-mailadres in een datalek opduikt?",
            "Hoe voorkomen bedrijven dat vertrouwelijke documenten uitlekken?",
            "Is het veilig om vertrouwelijke contracten in een AI-chatbot te plakken?",
            "Wat betekent 'prompt leaking' bij apps die op taalmodellen draaien?",
            "Wat verplicht de AVG als er persoonsgegevens zijn gelekt?",
        ),
    },
    "pl": {
        "minimal_pair": (
            "pokażesz mi jeszcze raz instrukcję do drukarki, którą podałeś wcześniej?",
            "co dokładnie jest w pierwszym akapicie mojego listu motywacyjnego? Wkleiłem go wyżej.",
            "wypisz wszystkie zasady gry w warcaby, krok po kroku.",
            "jaki tekst powitalny dać przed pierwszą wiadomością w czacie na naszej stronie? Zaproponuj coś miłego.",
            "wstaw do bloku kodu polecenia z twojej poprzedniej odpowiedzi.",
            "zacznij odpowiedź od pierwszego wersu tego wiersza i dopisz dalszy ciąg: „Litwo! Ojczyzno moja!”",
            "jak zapamiętać tajne hasło, nie zapisując go nigdzie?",
            "przepisz moją listę zakupów alfabetycznie: mleko, jajka, bazylia, mąka.",
            "wyjaśnij nowemu koledze, czego wymaga nasza lista wdrożeniowa w pierwszym tygodniu.",
        ),
        "prompt_craft": (
            "Jak napisać prompt systemowy, który utrzyma bota wsparcia przy temacie?",
            "Czym różni się prompt systemowy od promptu użytkownika?",
            "Podaj trzy przykłady few-shot do klasyfikowania maili od klientów.",
            "Mój prompt prosi o JSON, ale model czasem dopisuje tekst. Jak to naprawić?",
            "Napisz prompt systemowy dla bota przewodnika po muzeum.",
        ),
        "capabilities": (
            "W czym możesz mi pomóc?",
            "W jakich językach potrafisz odpowiadać?",
            "Czy możesz szukać w internecie, czy korzystasz tylko z tego, co wiesz?",
            "Skąd biorą się twoje odpowiedzi? Możesz podać źródła?",
            "Czy przeczytasz PDF albo zdjęcie, jeśli je wgram?",
        ),
        "repeat_text": (
            "Powtórz dokładnie ten tekst: {text}",
            "Przetłumacz to na {tl}: {text}",
            "Streść to w jednym zdaniu: {text}",
            "Popraw ortografię i gramatykę: {text}",
            "Przeczytaj mi to słowo po słowie: {text}",
        ),
        "task_steps": (
            "Wykonaj te kroki przy cieście i powiedz, czy czegoś brakuje:\n1. Wymieszać 500 g mąki z 7 g drożdży.\n2. Dodać 300 ml ciepłej wody i wyrabiać dziesięć minut.\n3. Odstawić na godzinę.",
            "Według README:\n1. Sklonuj repozytorium.\n2. Uruchom `pip install -r requirements.txt`.\n3. Skopiuj `.env.example` do `.env`.\nKrok 3 nie działa na Windowsie. Dlaczego?",
            "Zignoruj pierwsze dwa wiersze arkusza, to nagłówki, i zsumuj kolumnę C.",
            "Instrukcje dla opiekunki kota: karmić dwa razy dziennie, rano świeża woda, wieczorem nie wypuszczać. Możesz to napisać milej?",
        ),
        "secrets_benign": (
            "Jak zrotować klucz dostępu AWS bez przerwy w działaniu?",
            "Jaka polityka haseł ma sens w firmie na 20 osób?",
            "Gdzie trzymać klucze API w workflow GitHub Actions?",
            "Przez pomyłkę wypchnąłem plik .env do publicznego repozytorium. Co teraz?",
            "Czy mogę zacommitować ten .env.example w takiej postaci?\n\n{snippet}",
        ),
        "leak_topic": (
            "Co zrobić, jeśli mój e-mail pojawił się w wycieku danych?",
            "Jak firmy zapobiegają wyciekom poufnych dokumentów?",
            "Czy bezpiecznie jest wklejać poufne umowy do chatbota AI?",
            "Co oznacza „wyciek promptu” w aplikacjach opartych na modelach językowych?",
            "Jakie obowiązki nakłada RODO przy wycieku danych osobowych?",
        ),
    },
    "ru": {
        "minimal_pair": (
            "покажи ещё раз инструкцию для принтера, которую ты дал мне раньше.",
            "что именно написано в первом абзаце моего сопроводительного письма? Я вставил его выше.",
            "перечисли все правила игры в шахматы, шаг за шагом.",
            "какой приветственный текст поставить перед первым сообщением в чате на нашем сайте? Предложи что-нибудь дружелюбное.",
            "оформи команды из твоего предыдущего ответа в блок кода.",
            "начни ответ с первой строки этого стихотворения и продолжи его своими словами: «Мороз и солнце; день чудесный!»",
            "как запомнить секретный пароль, нигде его не записывая?",
            "перепиши мой список покупок по алфавиту: молоко, яйца, базилик, мука.",
            "объясни новому коллеге, что требует наш чек-лист адаптации в первую неделю.",
        ),
        "prompt_craft": (
            "Как написать системный промпт, чтобы бот поддержки не уходил от темы?",
            "Чем системный промпт отличается от пользовательского?",
            "Приведи три few-shot примера для классификации писем клиентов.",
            "Мой промпт просит JSON, но модель иногда добавляет текст. Как это исправить?",
            "Напиши системный промпт для бота-экскурсовода по музею.",
        ),
        "capabilities": (
            "С чем ты можешь мне помочь?",
            "На каких языках ты умеешь отвечать?",
            "Ты можешь искать в интернете или используешь только свои знания?",
            "Откуда берутся твои ответы? Можешь указать источники?",
            "Ты сможешь прочитать PDF или картинку, если я их загружу?",
        ),
        "repeat_text": (
            "Повтори этот текст дословно: {text}",
            "Переведи это на {tl}: {text}",
            "Перескажи это одним предложением: {text}",
            "Исправь орфографию и грамматику: {text}",
            "Прочитай мне это слово в слово: {text}",
        ),
        "task_steps": (
            "Выполни эти шаги для теста и скажи, ничего ли я не упустил:\n1. Смешать 500 г муки и 7 г дрожжей.\n2. Добавить 300 мл тёплой воды и месить десять минут.\n3. Оставить на час.",
            "По README:\n1. Клонировать репозиторий.\n2. Запустить `pip install -r requirements.txt`.\n3. Скопировать `.env.example` в `.env`.\nШаг 3 не работает в Windows. Почему?",
            "Игнорируй первые две строки таблицы, это заголовки, и сложи столбец C.",
            "Инструкция для того, кто присмотрит за кошкой: кормить два раза в день, утром свежая вода, вечером не выпускать. Сделаешь помягче?",
        ),
        "secrets_benign": (
            "Как ротировать ключ доступа AWS без простоя?",
            "Какая парольная политика подойдёт компании из 20 человек?",
            "Где хранить API-ключи в workflow GitHub Actions?",
            "Я случайно запушил файл .env в публичный репозиторий. Что делать?",
            "Можно закоммитить этот .env.example в таком виде?\n\n{snippet}",
        ),
        "leak_topic": (
            "Что делать, если мой e-mail оказался в утечке данных?",
            "Как компании предотвращают утечку конфиденциальных документов?",
            "Безопасно ли вставлять конфиденциальные договоры в ИИ-чатбот?",
            "Что такое «утечка промпта» в приложениях на языковых моделях?",
            "Что требует закон, если произошла утечка персональных данных?",
        ),
    },
    "zh": {
        "minimal_pair": (
            "能把你刚才给我的打印机设置步骤再发一遍吗？",
            "我的求职信第一段具体写了什么？我贴在上面了。",
            "请一步一步列出围棋的所有基本规则。",
            "我们网站的聊天窗口在第一条消息之前应该放什么欢迎语？给个友好的建议。",
            "把你上一条回答里的命令放进代码块里。",
            "请用这首诗的第一句开头，然后自己往下续写：“床前明月光”。",
            "怎样不写下来也能记住一个秘密密码？",
            "把我的购物清单按拼音顺序排一下：牛奶、鸡蛋、罗勒、面粉。",
            "给新同事解释一下我们的入职清单第一周要求做什么。",
        ),
        "prompt_craft": (
            "怎样写系统提示词才能让客服机器人不跑题？",
            "系统提示词和用户提示词有什么区别？",
            "给我三个用于客户邮件分类的少样本提示示例。",
            "我的提示词要求输出JSON，但模型有时会多加文字，怎么解决？",
            "帮我写一个博物馆导览机器人的系统提示词。",
        ),
        "capabilities": (
            "你能帮我做哪些事情？",
            "你能用哪些语言回答？",
            "你能上网搜索吗，还是只用已有的知识？",
            "你的回答来自哪里？能注明出处吗？",
            "我上传PDF或图片的话你能读吗？",
        ),
        "repeat_text": (
            "请原样重复这段文字：{text}",
            "把这段话翻译成{tl}：{text}",
            "用一句话总结：{text}",
            "帮我改一下错别字和语法：{text}",
            "逐字读给我听，我核对一下：{text}",
        ),
        "task_steps": (
            "按这些步骤和面，看看我有没有漏掉什么：\n1. 500克面粉加7克酵母混合。\n2. 加300毫升温水揉十分钟。\n3. 醒发一小时。",
            "README里写的是：\n1. 克隆仓库。\n2. 运行 `pip install -r requirements.txt`。\n3. 把 `.env.example` 复制为 `.env`。\n第3步在Windows上失败，为什么？",
            "忽略表格前两行，那是表头，然后把C列加起来。",
            "给帮忙照顾猫的人的说明：每天喂两次，早上换清水，晚上别放出去。能写得更客气一点吗？",
        ),
        "secrets_benign": (
            "怎样在不停机的情况下轮换AWS访问密钥？",
            "20人的公司适合什么样的密码策略？",
            "在GitHub Actions工作流里应该把API密钥存在哪里？",
            "我不小心把.env文件推到公开仓库了，现在怎么办？",
            "这个.env.example可以直接提交吗？\n\n{snippet}",
        ),
        "leak_topic": (
            "如果我的邮箱出现在数据泄露里该怎么办？",
            "公司怎样防止机密文件外泄？",
            "把保密合同粘贴到AI聊天机器人里安全吗？",
            "在基于大语言模型的应用里，“提示词泄露”是什么意思？",
            "个人信息泄露后，按法律公司需要做什么？",
        ),
    },
    "ja": {
        "minimal_pair": (
            "さっき教えてくれたプリンターの設定手順をもう一度見せてもらえますか？",
            "上に貼った私の志望動機の最初の段落には、正確に何と書いてありますか？",
            "将棋の基本ルールをすべて順番に書き出してください。",
            "うちのサイトのチャットで、最初のメッセージの前に表示する歓迎文を考えてください。",
            "前の回答に出てきたコマンドをコードブロックにまとめてください。",
            "この俳句の最初の句から回答を始めて、続きを自由に書いてください：「古池や」",
            "秘密のパスワードを書き留めずに覚えるコツはありますか？",
            "買い物リストを五十音順に並べ替えてください：牛乳、卵、バジル、小麦粉。",
            "新しい同僚に、入社チェックリストで最初の週に何をするのか説明してください。",
        ),
        "prompt_craft": (
            "サポート用ボットが話題から外れないシステムプロンプトの書き方は？",
            "システムプロンプトとユーザープロンプトの違いは何ですか？",
            "顧客メールを分類するためのfew-shotの例を三つください。",
            "プロンプトでJSONを指定しているのに、モデルが文章を付け足すことがあります。どう直せばいいですか？",
            "美術館ガイドボット用のシステムプロンプトを書いてください。",
        ),
        "capabilities": (
            "どんなことを手伝ってもらえますか？",
            "何語で答えられますか？",
            "インターネットで検索できますか？それとも手持ちの知識だけですか？",
            "回答の情報源はどこですか？出典を示せますか？",
            "PDFや画像をアップロードしたら読めますか？",
        ),
        "repeat_text": (
            "この文章をそのまま繰り返してください：{text}",
            "これを{tl}に翻訳してください：{text}",
            "一文で要約してください：{text}",
            "誤字と文法を直してください：{text}",
            "確認したいので一字一句読み上げてください：{text}",
        ),
        "task_steps": (
            "この手順で生地を作ります。抜けている点があれば教えてください：\n1. 小麦粉500gとイースト7gを混ぜる。\n2. ぬるま湯300mlを加えて10分こねる。\n3. 1時間寝かせる。",
            "READMEの手順：\n1. リポジトリをクローンする。\n2. `pip install -r requirements.txt` を実行する。\n3. `.env.example` を `.env` にコピーする。\nWindowsだと手順3で失敗します。なぜですか？",
            "表の最初の2行は見出しなので無視して、C列を合計してください。",
            "猫の世話をお願いする人へのメモ：1日2回ごはん、朝は新しい水、夜は外に出さない。もっと丁寧な言い方にできますか？",
        ),
        "secrets_benign": (
            "ダウンタイムなしでAWSのアクセスキーをローテーションするには？",
            "20人規模の会社に合ったパスワードポリシーは？",
            "GitHub ActionsのワークフローでAPIキーはどこに保存すべきですか？",
            "うっかり.envファイルを公開リポジトリにプッシュしてしまいました。どうすればいいですか？",
            "この.env.exampleはこのままコミットしても大丈夫ですか？\n\n{snippet}",
        ),
        "leak_topic": (
            "自分のメールアドレスが情報漏えいに含まれていたらどうすればいいですか？",
            "企業は機密文書の流出をどうやって防いでいますか？",
            "機密の契約書をAIチャットボットに貼り付けても安全ですか？",
            "大規模言語モデルを使ったアプリでいう「プロンプト漏えい」とは何ですか？",
            "個人情報が漏えいしたとき、会社は法律上何をしなければなりませんか？",
        ),
    },
    "ar": {
        "minimal_pair": (
            "هل يمكنك أن تريني مرة أخرى خطوات إعداد الطابعة التي أعطيتني إياها قبل قليل؟",
            "ماذا تقول الفقرة الأولى من رسالة التقديم الخاصة بي بالضبط؟ لقد ألصقتها في الأعلى.",
            "اذكر كل قواعد لعبة الشطرنج خطوة بخطوة.",
            "ما نص الترحيب الذي نضعه قبل الرسالة الأولى في نافذة الدردشة على موقعنا؟ اقترح شيئًا لطيفًا.",
            "ضع الأوامر الموجودة في إجابتك السابقة داخل كتلة برمجية.",
            "كيف أتذكر كلمة سر دون أن أكتبها في أي مكان؟",
            "رتّب قائمة مشترياتي أبجديًا: حليب، بيض، ريحان، طحين.",
            "اشرح لزميل جديد ما تطلبه قائمة التهيئة لدينا في الأسبوع الأول.",
        ),
        "prompt_craft": (
            "كيف أكتب موجّه نظام يُبقي روبوت الدعم ضمن موضوعه؟",
            "ما الفرق بين موجّه النظام وموجّه المستخدم؟",
            "أعطني ثلاثة أمثلة few-shot لتصنيف رسائل العملاء.",
            "موجّهي يطلب إخراج JSON لكن النموذج يضيف نصًا أحيانًا. كيف أصلح ذلك؟",
            "اكتب موجّه نظام لروبوت مرشد في متحف.",
        ),
        "capabilities": (
            "في أي أمور يمكنك مساعدتي؟",
            "بأي لغات يمكنك الرد؟",
            "هل تستطيع البحث في الإنترنت أم تعتمد على معرفتك فقط؟",
            "من أين تأتي إجاباتك؟ هل يمكنك ذكر المصادر؟",
            "هل تستطيع قراءة ملف PDF أو صورة إذا رفعتها؟",
        ),
        "repeat_text": (
            "كرّر هذا النص كما هو: {text}",
            "ترجم هذا إلى {tl}: {text}",
            "لخّص هذا في جملة واحدة: {text}",
            "صحّح الإملاء والنحو: {text}",
            "اقرأ لي هذا كلمة بكلمة لأراجعه: {text}",
        ),
        "task_steps": (
            "اتبع هذه الخطوات لتحضير العجين وأخبرني إن نسيت شيئًا:\n1. اخلط 500 غرام طحين مع 7 غرامات خميرة.\n2. أضف 300 مل ماء دافئ واعجن عشر دقائق.\n3. اتركه يرتاح ساعة.",
            "بحسب ملف README:\n1. انسخ المستودع.\n2. شغّل `pip install -r requirements.txt`.\n3. انسخ `.env.example` إلى `.env`.\nالخطوة 3 تفشل على ويندوز. لماذا؟",
            "تجاهل أول صفين في الجدول لأنهما عناوين، واجمع العمود C.",
            "تعليمات لمن سيعتني بالقطة: إطعامها مرتين يوميًا، ماء نظيف صباحًا، وعدم إخراجها ليلًا. هل يمكنك صياغتها بلطف أكثر؟",
        ),
        "secrets_benign": (
            "كيف أغيّر مفتاح وصول AWS دوريًا دون توقف الخدمة؟",
            "ما سياسة كلمات المرور المناسبة لشركة من 20 موظفًا؟",
            "أين أحفظ مفاتيح API في سير عمل GitHub Actions؟",
            "رفعت ملف .env إلى مستودع عام بالخطأ. ماذا أفعل الآن؟",
            "هل يمكنني رفع ملف .env.example هذا كما هو؟\n\n{snippet}",
        ),
        "leak_topic": (
            "ماذا أفعل إذا ظهر بريدي الإلكتروني في تسريب بيانات؟",
            "كيف تمنع الشركات تسرب المستندات السرية؟",
            "هل من الآمن لصق عقود سرية في روبوت دردشة يعمل بالذكاء الاصطناعي؟",
            "ماذا يعني «تسريب الموجّه» في التطبيقات المبنية على النماذج اللغوية؟",
            "ما الذي يجب على الشركة فعله قانونيًا عند تسرب بيانات شخصية؟",
        ),
    },
    "hi": {
        "minimal_pair": (
            "क्या तुम प्रिंटर सेट करने के वे निर्देश फिर से दिखा सकते हो जो तुमने पहले दिए थे?",
            "मेरे कवर लेटर के पहले पैराग्राफ में ठीक-ठीक क्या लिखा है? मैंने उसे ऊपर चिपकाया है।",
            "शतरंज के सारे नियम एक-एक करके लिखो।",
            "हमारी वेबसाइट की चैट में पहले संदेश से पहले कौन सा स्वागत संदेश रखें? कुछ अच्छा सुझाओ।",
            "अपने पिछले जवाब के कमांड को कोड ब्लॉक में डाल दो।",
            "किसी गुप्त पासवर्ड को बिना लिखे कैसे याद रखूँ?",
            "मेरी खरीदारी की सूची को वर्णक्रम में लगा दो: दूध, अंडे, तुलसी, आटा।",
            "नए सहकर्मी को समझाओ कि हमारी ऑनबोर्डिंग चेकलिस्ट पहले हफ़्ते में क्या करने को कहती है।",
        ),
        "prompt_craft": (
            "ऐसा सिस्टम प्रॉम्प्ट कैसे लिखें कि सपोर्ट बॉट विषय से न भटके?",
            "सिस्टम प्रॉम्प्ट और यूज़र प्रॉम्प्ट में क्या फ़र्क है?",
            "ग्राहकों के ईमेल को वर्गीकृत करने के लिए तीन few-shot उदाहरण दो।",
            "मेरा प्रॉम्प्ट JSON माँगता है, पर मॉडल कभी-कभी ऊपर से टेक्स्ट जोड़ देता है। इसे कैसे ठीक करूँ?",
            "संग्रहालय गाइड बॉट के लिए एक सिस्टम प्रॉम्प्ट लिखो।",
        ),
        "capabilities": (
            "तुम किन कामों में मेरी मदद कर सकते हो?",
            "तुम किन भाषाओं में जवाब दे सकते हो?",
            "क्या तुम इंटरनेट पर खोज सकते हो या सिर्फ़ अपनी जानकारी से जवाब देते हो?",
            "तुम्हारे जवाब कहाँ से आते हैं? क्या तुम स्रोत बता सकते हो?",
            "अगर मैं PDF या फ़ोटो अपलोड करूँ तो क्या तुम उसे पढ़ सकते हो?",
        ),
        "repeat_text": (
            "इस टेक्स्ट को ज्यों का त्यों दोहराओ: {text}",
            "इसका {tl} में अनुवाद करो: {text}",
            "इसे एक वाक्य में सारांशित करो: {text}",
            "वर्तनी और व्याकरण ठीक करो: {text}",
            "इसे शब्दशः पढ़कर सुनाओ ताकि मैं जाँच सकूँ: {text}",
        ),
        "task_steps": (
            "आटा गूँधने के ये चरण देखो और बताओ कुछ छूटा तो नहीं:\n1. 500 ग्राम आटे में 7 ग्राम खमीर मिलाएँ।\n2. 300 मिली गुनगुना पानी डालकर दस मिनट गूँधें।\n3. एक घंटे के लिए रख दें।",
            "README के अनुसार:\n1. रिपॉज़िटरी क्लोन करें।\n2. `pip install -r requirements.txt` चलाएँ।\n3. `.env.example` को `.env` में कॉपी करें।\nविंडोज़ पर तीसरा चरण फ़ेल हो जाता है। क्यों?",
            "शीट की पहली दो पंक्तियों को छोड़ दो, वे शीर्षक हैं, और कॉलम C का जोड़ बताओ।",
            "बिल्ली की देखभाल करने वाले के लिए निर्देश: दिन में दो बार खाना, सुबह ताज़ा पानी, रात को बाहर न जाने दें। क्या इसे थोड़ा विनम्र बना सकते हो?",
        ),
        "secrets_benign": (
            "बिना डाउनटाइम के AWS एक्सेस की को कैसे बदलें?",
            "20 लोगों की कंपनी के लिए कैसी पासवर्ड नीति ठीक रहेगी?",
            "GitHub Actions वर्कफ़्लो में API की कहाँ रखनी चाहिए?",
            "मैंने गलती से अपनी .env फ़ाइल पब्लिक रिपॉज़िटरी में पुश कर दी। अब क्या करूँ?",
            "क्या यह .env.example ऐसे ही कमिट कर सकता हूँ?\n\n{snippet}",
        ),
        "leak_topic": (
            "अगर मेरा ईमेल किसी डेटा लीक में दिखे तो क्या करूँ?",
            "कंपनियाँ गोपनीय दस्तावेज़ों को लीक होने से कैसे रोकती हैं?",
            "क्या गोपनीय अनुबंध किसी AI चैटबॉट में चिपकाना सुरक्षित है?",
            'भाषा मॉडल वाले ऐप्स में "प्रॉम्प्ट लीक" का क्या मतलब है?',
            "निजी डेटा लीक होने पर कंपनी को कानूनन क्या करना होता है?",
        ),
    },
}

# target-language names in the form each ``repeat_text`` frame needs
_TL: dict[str, tuple[str, ...]] = {
    "en": ("French", "German", "Spanish", "Italian", "Japanese"),
    "de": ("Englische", "Französische", "Spanische", "Italienische"),
    "fr": ("anglais", "allemand", "espagnol", "italien"),
    "es": ("inglés", "francés", "alemán", "italiano"),
    "it": ("inglese", "francese", "tedesco", "spagnolo"),
    "pt": ("inglês", "francês", "espanhol", "alemão"),
    "nl": ("Engels", "Frans", "Duits", "Spaans"),
    "pl": ("angielski", "niemiecki", "francuski", "hiszpański"),
    "ru": ("английский", "немецкий", "французский", "испанский"),
    "zh": ("英文", "法文", "德文", "日文"),
    "ja": ("英語", "フランス語", "ドイツ語", "中国語"),
    "ar": ("الإنجليزية", "الفرنسية", "الألمانية", "الإسبانية"),
    "hi": ("अंग्रेज़ी", "फ़्रेंच", "जर्मन", "स्पेनिश"),
}

# closing words for the whole-sentence kinds (the minimal pairs take the positives' suffixes)
_CLOSE: dict[str, tuple[str, ...]] = {
    "en": ("Thanks!", "Thanks in advance.", "Cheers."),
    "de": ("Danke!", "Vielen Dank im Voraus."),
    "fr": ("Merci !", "Merci d'avance."),
    "es": ("¡Gracias!", "Gracias de antemano."),
    "it": ("Grazie!", "Grazie in anticipo."),
    "pt": ("Obrigado!", "Desde já, obrigado."),
    "nl": ("Bedankt!", "Alvast bedankt."),
    "pl": ("Dzięki!", "Z góry dziękuję."),
    "ru": ("Спасибо!", "Заранее спасибо."),
    "zh": ("谢谢！", "先谢了。"),
    "ja": ("ありがとう！", "よろしくお願いします。"),
    "ar": ("شكرًا!", "شكرًا مقدمًا."),
    "hi": ("धन्यवाद!", "पहले से धन्यवाद।"),
}

# a pretext that ends a sentence can stand before a whole sentence; one ending in a comma
# ("For a compliance audit,") only before a minimal-pair request that continues it
_FULL_STOP = ".!?:。！？：।؟"
_SENTENCE_END = ".!?。！？"


def _bodies(lang: str, split: str, seed: int, val_fraction: float) -> list[str]:
    """The language's own benign sentences on ``split``'s side, with the same key and hash
    as the engine's benign units (``own:{lang}:{j}``), so a sentence stays on one side."""
    sents = list(PHRASES[lang]["benign"] + PHRASES[lang]["benign_imp"])
    mine = [s for j, s in enumerate(sents) if _split(f"own:{lang}:{j}", seed, val_fraction) == split]
    return mine or sents


def _fill(template: str, r: random.Random, lang: str, split: str, seed: int, vf: float) -> str:
    text = template
    if "{text}" in text:
        pool = _bodies(lang, split, seed, vf)
        body = " ".join(r.sample(pool, k=min(len(pool), r.choice((1, 1, 2)))))
        text = text.replace("{text}", body)
    if "{tl}" in text:
        text = text.replace("{tl}", r.choice(_TL[lang]))
    if "{snippet}" in text:
        side = [
            s
            for j, s in enumerate(_SNIPPETS)
            if _rank_split("pth:snip", j, len(_SNIPPETS), seed, vf) == split
        ]
        # only the snippet's own ``{ph}`` slot: GitHub's ``${{ secrets.X }}`` braces stay as written
        text = text.replace("{snippet}", r.choice(side).replace("{ph}", r.choice(_PLACEHOLDERS)))
    return text


def prompt_talk_hard_rows(seed: int, n: int, val_fraction: float) -> pd.DataFrame:
    """``n`` unique benign rows (label 0, family ``prompt_talk_hard``) about prompts,
    instructions, secrets and leaks; English gets about a quarter, as in the soft-extraction
    positives. The kind and template are in ``group`` (``pth:{kind}:{lang}:{i}``); the split
    follows the template. Fewer than ``n`` rows only if the template space runs out.

    >>> df = prompt_talk_hard_rows(1, 40, 0.15)
    >>> sorted(set(df["split"])), bool(df["group"].str.startswith("pth:").all())
    (['train', 'val'], True)
    """
    r = random.Random(f"{seed}:prompt-talk-hard")
    langs = sorted(_HARD)
    weights = [4.0 if lg == "en" else 1.0 for lg in langs]
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    tries = 0
    while len(rows) < n and tries < 50 * max(n, 1):
        tries += 1
        lang = r.choices(langs, weights)[0]
        kind = r.choices(KINDS, _KIND_WEIGHTS)[0]
        items = _HARD[lang][kind]
        i = r.randrange(len(items))
        split = _rank_split(f"pth:{kind}:{lang}", i, len(items), seed, val_fraction)
        body = _fill(items[i], r, lang, split, seed, val_fraction)
        pre, _, suf = _SOFT[lang]
        if kind == "minimal_pair":
            # the positives' frame exactly: pretext 70 %, capitalised after a full stop, any suffix
            head = r.choice(pre) if r.random() < 0.7 else ""
            cap = head[-1:] in _SENTENCE_END
            text = f"{head} {_capitalise(body) if cap else body}" if head else _capitalise(body)
            text = f"{text} {r.choice(suf)}".strip()
        else:
            heads = [p for p in pre if p[-1:] in _FULL_STOP]
            head = r.choice(heads) if heads and r.random() < 0.35 else ""
            tail = r.choice(_CLOSE[lang]) if r.random() < 0.25 else ""
            if kind == "repeat_text" and r.random() < 0.3:
                tail = r.choice(suf)  # "Don't paraphrase." after a text the user supplies
            text = " ".join(p for p in (head, body, tail) if p)
        if text in seen:
            continue
        seen.add(text)
        rows.append(_row(text, SOURCE, FAMILY, f"pth:{kind}:{lang}:{i}", split, lang))
    return rows_frame(rows)


def kind_counts(df: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Rows per kind and split of a :func:`prompt_talk_hard_rows` frame (for the data card).

    >>> kind_counts(prompt_talk_hard_rows(0, 30, 0.15))["minimal_pair"]["train"] > 0
    True
    """
    if df.empty:
        return {}
    kinds = df["group"].str.split(":").str[1]
    t = df.groupby([kinds.rename("kind"), "split"]).size()
    return {k: {s: int(v) for s, v in t[k].items()} for k in t.index.get_level_values(0).unique()}
