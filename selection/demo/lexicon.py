"""Word lists for the synthetic demo dataset (see ``demo_data``).

Plain data, no logic beyond three tiny constructors (``S``, ``O``, ``V``). Spelling is Oxford English (``neighbour``, ``organize``).
Everything is a tuple or an insertion-ordered dict so that iteration order, and hence the generated rows,
never depend on hash seeds.

Subjects carry tags that verbs select on: ``person`` (a single human), ``official`` (a person with authority,
also a ``person``), ``group`` (plural humans), ``org`` (an institution), ``name`` (a proper name, takes no
determiner or adjective), ``expert`` (a noun that ``so-called`` reads naturally with).
"""

from __future__ import annotations


def S(det: str, noun: str, pron: str, *tags: str) -> dict:
    """A subject noun phrase: determiner, head noun, pronoun (he/she/it/they) and tags."""
    return {"det": det, "noun": noun, "pron": pron, "plural": pron == "they", "tags": tags}


def O(noun: str, adjs: str = "", kind: str = "count", poss: bool = False, only_poss: bool = False,  # noqa: E743
      so_called: bool = False, animate: bool = False, ev: str = "thing") -> dict:
    """An object noun and the determiners it takes.

    ``kind``: count (a/the), plural (the/none), mass (none/the), the (only "the"), zero (no determiner).
    ``poss`` adds the subject's possessive (his/her/its/their); ``only_poss`` allows nothing else.
    ``ev`` names the pool of loaded adjectives that read naturally with it (idea, thing, animate, or none).
    """
    return {"noun": noun, "adjs": tuple(a for a in adjs.split(",") if a), "kind": kind,
            "plural": kind == "plural", "poss": poss or only_poss, "only_poss": only_poss,
            "so_called": so_called, "animate": animate,
            "ev": "animate" if animate else ev}


SUBJECTS: tuple[dict, ...] = (
    # single people
    S("my", "neighbour", "she", "person"), S("my", "neighbour", "he", "person"),
    S("the", "teacher", "she", "person"), S("the", "doctor", "he", "person"),
    S("my", "brother", "he", "person"), S("my", "sister", "she", "person"),
    S("my", "colleague", "he", "person"), S("my", "colleague", "she", "person"),
    S("the", "nurse", "she", "person"), S("the", "journalist", "she", "person"),
    S("the", "scientist", "he", "person"), S("the", "engineer", "she", "person"),
    S("the", "student", "he", "person"), S("the", "librarian", "he", "person"),
    S("the", "farmer", "he", "person"), S("the", "chef", "she", "person"),
    S("my", "grandmother", "she", "person"), S("my", "uncle", "he", "person"),
    S("my", "aunt", "she", "person"), S("the", "coach", "he", "person"),
    S("the", "author", "she", "person"), S("the", "architect", "he", "person"),
    S("my", "friend", "she", "person"), S("my", "cousin", "he", "person"),
    # people with authority
    S("the", "mayor", "he", "person", "official"), S("the", "minister", "she", "person", "official"),
    S("our", "manager", "she", "person", "official"), S("the", "director", "he", "person", "official"),
    S("the", "professor", "she", "person", "official"), S("the", "head teacher", "he", "person", "official"),
    S("the", "president", "she", "person", "official"), S("the", "lawyer", "she", "person", "official"),
    # proper names
    S("", "Anna", "she", "person", "name"), S("", "David", "he", "person", "name"),
    S("", "Maria", "she", "person", "name"), S("", "Tom", "he", "person", "name"),
    S("", "Sarah", "she", "person", "name"), S("", "James", "he", "person", "name"),
    S("", "Laura", "she", "person", "name"), S("", "Peter", "he", "person", "name"),
    S("", "Emma", "she", "person", "name"), S("", "Daniel", "he", "person", "name"),
    S("", "Lucy", "she", "person", "name"), S("", "Mark", "he", "person", "name"),
    # groups of people
    S("the", "students", "they", "group"), S("the", "engineers", "they", "group"),
    S("the", "volunteers", "they", "group"), S("the", "researchers", "they", "group", "expert"),
    S("the", "children", "they", "group"), S("my", "parents", "they", "group"),
    S("the", "farmers", "they", "group"), S("the", "nurses", "they", "group"),
    S("the", "players", "they", "group"), S("the", "tourists", "they", "group"),
    S("our", "neighbours", "they", "group"), S("the", "workers", "they", "group"),
    S("the", "experts", "they", "group", "expert"), S("the", "scientists", "they", "group", "expert"),
    S("the", "teachers", "they", "group"), S("the", "advisers", "they", "group", "expert"),
    S("my", "friends", "they", "group"), S("the", "specialists", "they", "group", "expert"),
    # institutions
    S("the", "committee", "it", "org"), S("the", "council", "it", "org"),
    S("the", "company", "it", "org"), S("the", "government", "it", "org"),
    S("the", "school", "it", "org"), S("the", "hospital", "it", "org"),
    S("the", "city council", "it", "org"), S("the", "board", "it", "org"),
    S("the", "club", "it", "org"), S("the", "team", "it", "org"),
    S("the", "library", "it", "org"), S("the", "local business", "it", "org"),
)

# Shared object nouns.
BUDGET = O("budget", "new,annual,revised", ev="idea")
PLAN = O("plan", "new,revised,detailed,final", so_called=True, ev="idea")
PROPOSAL = O("proposal", "new,revised,detailed,final", so_called=True, ev="idea")
REQUEST = O("request", "urgent,formal", ev="idea")
PROJECT = O("project", "new,large,small,local", ev="idea")
APPLICATION = O("application", "new,formal", ev="idea")
REFORM = O("reform", "new,large", so_called=True, ev="idea")
REPORT = O("report", "annual,final,detailed,long,short,monthly", poss=True, ev="idea")
BOOK = O("book", "new,old,long,interesting", poss=True, ev="idea")
LETTER = O("letter", "long,short,formal", poss=True, ev="idea")
ARTICLE = O("article", "long,short,interesting", poss=True, ev="idea")
EMAIL = O("email", "long,short,urgent", ev="")
NEWSPAPER = O("newspaper", "local", poss=True, ev="")
STORY = O("story", "short,long,interesting", poss=True, ev="idea")
DINNER = O("dinner", "", kind="mass", ev="")
LUNCH = O("lunch", "", kind="mass", ev="")
SOUP = O("soup", "vegetable", kind="mass", ev="")
MEAL = O("meal", "simple,large,small")
KITCHEN = O("kitchen", "small,large,old", poss=True)
OFFICE = O("office", "small,new,old", poss=True)
CAR = O("car", "new,old,red,small,large,electric", poss=True)
WINDOWS = O("windows", "large,old", kind="plural", poss=True, ev="")
BATHROOM = O("bathroom", "small,old", poss=True)
GARAGE = O("garage", "old,small", poss=True)
MUSEUM = O("museum", "local,old,new")
GRANDMOTHER = O("grandmother", "old", only_poss=True, animate=True)
MARKET = O("market", "local,old")
CASTLE = O("castle", "old", kind="count")
ROOF = O("roof", "old", poss=True)
BICYCLE = O("bicycle", "old,new,red", poss=True)
FENCE = O("fence", "old,wooden", poss=True)
PRINTER = O("printer", "old,new", poss=True)
WASHING_MACHINE = O("washing machine", "old,new", poss=True)
PROBLEM = O("problem", "main,difficult", ev="idea")
RESULTS = O("results", "final,latest", kind="plural", poss=True, ev="idea")
SCHEDULE = O("schedule", "new,weekly,revised", poss=True, ev="idea")
PACKAGE = O("package", "large,small,heavy")
INVITATION = O("invitation", "formal")
AWARD = O("award", "national,local")
PARCEL = O("parcel", "large,small,heavy")
PRESENTATION = O("presentation", "short,long,detailed", poss=True, ev="idea")
HOUSE = O("house", "old,new,small,large", poss=True)
BEDROOM = O("bedroom", "small,large", poss=True)
DOOR = O("door", "old,front", kind="count", ev="")
MEETING = O("meeting", "weekly,short,long,important")
PARTY = O("party", "large,small,surprise")
EVENT = O("event", "local,large,small", ev="idea")
CONFERENCE = O("conference", "annual,international", ev="idea")
CONCERT = O("concert", "local,small,annual")
WORKSHOP = O("workshop", "short,practical", ev="idea")
TICKETS = O("tickets", "cheap", kind="plural", ev="")
BREAD = O("bread", "fresh", kind="mass", ev="")
PRESENT = O("present", "small,expensive")
LAPTOP = O("laptop", "new,old,expensive", poss=True)
FURNITURE = O("furniture", "old", kind="mass", poss=True)
BRIDGE = O("bridge", "new,small")
SCHOOL = O("school", "new,small")
PLAYGROUND = O("playground", "new,small")
SHED = O("shed", "wooden,small")
CONTRACT = O("contract", "new,final", ev="idea")
AGREEMENT = O("agreement", "new,final", ev="idea")
PETITION = O("petition", "local", ev="idea")
ESSAY = O("essay", "long,short", poss=True, ev="idea")
PAINTING = O("painting", "large,beautiful", poss=True)
COURSE = O("course", "new,short,online", ev="idea")
JOB = O("job", "new", only_poss=True, ev="")
SOFTWARE = O("software", "new", kind="mass")
TRANSPORT = O("public transport", "", kind="zero", ev="")
COMPUTER = O("computer", "old,new", poss=True)
STUDENTS_OBJ = O("students", "new", kind="plural", animate=True)
TOURISTS_OBJ = O("tourists", "lost", kind="plural", animate=True)
NEIGHBOURS_OBJ = O("neighbours", "old", kind="plural", only_poss=True, animate=True)
TIME = O("more time", "", kind="zero", ev="")
PHOTOS = O("photos", "old", kind="plural", poss=True)
DESIGN = O("design", "new,final", poss=True, ev="idea")
EMAILS = O("emails", "", kind="plural", poss=True, ev="")
TRAIN = O("train", "early,last", ev="")
BUS = O("bus", "early,last", ev="")
KEYS = O("keys", "", kind="plural", only_poss=True, ev="")
WALLET = O("wallet", "", only_poss=True, ev="")
UMBRELLA = O("umbrella", "", only_poss=True, ev="")
DOCUMENTS = O("documents", "missing,necessary", kind="plural", ev="")
SHOP = O("shop", "small,new", poss=True)
ACCOUNT = O("account", "new", poss=True, ev="")
TRIP = O("trip", "long,short", poss=True)
ORDER = O("order", "large", poss=True, ev="")
HOTEL = O("hotel", "small,cheap")
RESTAURANT = O("restaurant", "different,small,new")
TREES = O("trees", "young", kind="plural")
FLOWERS = O("flowers", "", kind="plural")
TOMATOES = O("tomatoes", "", kind="plural")
PLANTS = O("plants", "", kind="plural", poss=True)
GARDEN = O("garden", "small", poss=True)
CAT = O("cat", "old", only_poss=True, animate=True)
DOG = O("dog", "old", only_poss=True, animate=True)
BIRDS = O("birds", "", kind="plural", animate=True)
CHICKENS = O("chickens", "", kind="plural", poss=True, animate=True)
DISHES = O("dishes", "", kind="plural", ev="")
CLOTHES = O("clothes", "", kind="plural", poss=True, ev="")
PIANO = O("piano", "", kind="the", ev="")
SPEECH = O("speech", "short,long", poss=True, ev="idea")
SONG = O("song", "new", kind="count")
ENVIRONMENT = O("environment", "local", kind="the", ev="")
FOREST = O("forest", "old", kind="count")
RIVER = O("river", "local", kind="count")
STUDY = O("study", "new,large", so_called=True, ev="idea")
DECISION = O("decision", "final", poss=True, ev="idea")
IMPROVEMENTS = O("improvements", "", kind="plural", so_called=True, ev="idea")
SOLUTION = O("solution", "simple,new", so_called=True, ev="idea")
FLAT = O("flat", "small,large", kind="count")
ROOM = O("room", "separate,small,large", ev="")
TABLE = O("table", "large,small", ev="")
ACCOMMODATION = O("accommodation", "", kind="mass", ev="")
HISTORY = O("history", "local", kind="zero", ev="")
MAP = O("map", "old,detailed", ev="")
CALENDAR = O("calendar", "new", poss=True, ev="")
ADDRESS = O("address", "new", only_poss=True, ev="")

# Place phrases.
WORK_PLACES = ("at the office", "in the meeting room", "at work")
TOWN_HALL = ("at the town hall", "in the meeting room")
HOME = ("at home", "in the kitchen", "in the garden")
OUTDOORS = ("in the park", "along the river", "around the lake", "through the village", "near the station")
TOWN = ("at the market", "in the city centre", "near the station", "in town")
STUDY_PLACES = ("in the library", "at home", "on the train", "in the garden")
ANY = ()


def V(base: str, tags: str, objects: tuple, places: tuple = ANY, *, s3: str = "", past: str = "",
      pp: str = "", ing: str = "", bad_past: str = "", purposes: tuple = (), durable: bool = False,
      stative: bool = False) -> dict:
    """A verb with its forms, the subject tags it accepts, its objects, places and purpose phrases.

    Regular forms are derived; irregular ones are given. ``bad_past`` is a learner's over-regularized
    past (``buyed``) used as a grammar error.
    """
    if not s3:
        s3 = base + "es" if base.endswith(("ch", "sh", "s", "x", "o")) else (
            base[:-1] + "ies" if base.endswith("y") and base[-2] not in "aeiou" else base + "s")
    if not past:
        past = base + "d" if base.endswith("e") else (
            base[:-1] + "ied" if base.endswith("y") and base[-2] not in "aeiou" else base + "ed")
    if not ing:
        ing = base[:-1] + "ing" if base.endswith("e") and not base.endswith("ee") else base + "ing"
    return {"base": base, "s3": s3, "past": past, "pp": pp or past, "ing": ing, "bad_past": bad_past,
            "tags": tuple(tags.split(",")), "objects": objects, "places": places,
            "purposes": purposes, "durable": durable, "stative": stative}


VERBS: dict[str, dict] = {
    "approve": V("approve", "org,official", (BUDGET, PLAN, PROPOSAL, REQUEST, PROJECT, APPLICATION, REFORM),
                 TOWN_HALL, purposes=("to fund the new library", "to reduce costs")),
    "reject": V("reject", "org,official", (PROPOSAL, PLAN, REQUEST, APPLICATION, REFORM), TOWN_HALL),
    "walk": V("walk", "person,group", (DOG,), OUTDOORS, durable=True,
              purposes=("to stay healthy", "to get some fresh air")),
    "read": V("read", "person,group", (REPORT, BOOK, LETTER, ARTICLE, NEWSPAPER, STORY, EMAIL),
              STUDY_PLACES, past="read", durable=True,
              purposes=("to prepare for the meeting", "to learn more about the project")),
    "write": V("write", "person,group", (REPORT, LETTER, ARTICLE, EMAIL, STORY, ESSAY, SPEECH),
               ("at the office", "at home", "in the library"), past="wrote", pp="written",
               bad_past="writed", purposes=("to explain the new rules", "to thank the volunteers")),
    "cook": V("cook", "person,group", (DINNER, LUNCH, SOUP, MEAL), HOME,
              purposes=("to celebrate the holiday", "to welcome the guests")),
    "clean": V("clean", "person,group", (KITCHEN, OFFICE, CAR, WINDOWS, BATHROOM, GARAGE), durable=True,
               purposes=("to prepare for the visit", "to welcome the guests")),
    "visit": V("visit", "person,group", (MUSEUM, GRANDMOTHER, MARKET, CASTLE, RESTAURANT), ANY,
               purposes=("to learn about local history", "to meet some old friends")),
    "repair": V("repair", "person,group", (ROOF, BICYCLE, FENCE, PRINTER, WASHING_MACHINE, CAR, DOOR),
                purposes=("to save money",)),
    "discuss": V("discuss", "org,official,group", (PLAN, BUDGET, PROBLEM, RESULTS, PROPOSAL, SCHEDULE, REFORM),
                 WORK_PLACES, durable=True, purposes=("to find a solution", "to avoid further delays")),
    "receive": V("receive", "person,group,org", (LETTER, PACKAGE, INVITATION, AWARD, EMAIL, PARCEL)),
    "prepare": V("prepare", "person,group,official", (REPORT, DINNER, PRESENTATION, LUNCH, SPEECH),
                 ANY, purposes=("to present the results", "to get ready for the visit")),
    "paint": V("paint", "person,group", (FENCE, KITCHEN, HOUSE, BEDROOM, DOOR, GARAGE), durable=True),
    "organize": V("organize", "person,group,org,official",
                  (MEETING, PARTY, EVENT, CONFERENCE, CONCERT, WORKSHOP), ANY,
                  purposes=("to raise money for the school", "to bring people together")),
    "buy": V("buy", "person,group", (CAR, HOUSE, TICKETS, BREAD, BICYCLE, PRESENT, LAPTOP), TOWN,
             past="bought", bad_past="buyed", purposes=("to replace the old one",)),
    "sell": V("sell", "person,group", (CAR, HOUSE, BICYCLE, FURNITURE, LAPTOP), ANY, past="sold",
              bad_past="selled", purposes=("to save money",)),
    "build": V("build", "person,group,org", (BRIDGE, HOUSE, SCHOOL, FENCE, PLAYGROUND, SHED), ANY,
               past="built", bad_past="builded", purposes=("to improve safety",)),
    "review": V("review", "org,official,group", (REPORT, PROPOSAL, APPLICATION, CONTRACT, BUDGET, RESULTS),
                WORK_PLACES, purposes=("to avoid mistakes",)),
    "sign": V("sign", "person,group,org", (CONTRACT, LETTER, AGREEMENT, PETITION), ANY),
    "finish": V("finish", "person,group", (REPORT, PROJECT, BOOK, PAINTING, ESSAY, PRESENTATION),
                ("at the office", "at home", "in the library")),
    "start": V("start", "person,group,org", (PROJECT, MEETING, COURSE, JOB, SHOP), ANY),
    "use": V("use", "person,group,org", (SOFTWARE, PRINTER, TRANSPORT, COMPUTER, LAPTOP, MAP), ANY,
             purposes=("to save time", "to reduce costs")),
    "help": V("help", "person,group", (STUDENTS_OBJ, TOURISTS_OBJ, NEIGHBOURS_OBJ, GRANDMOTHER),
              ("in the garden", "at the station", "in the city centre")),
    "need": V("need", "person,group,org", (CAR, TIME, LAPTOP, OFFICE, HOUSE), ANY, stative=True),
    "show": V("show", "person,group,official", (PHOTOS, RESULTS, PLAN, DESIGN, MAP), ANY, pp="shown"),
    "get": V("get", "person,group", (JOB, LETTER, TICKETS, INVITATION, PARCEL), ANY, past="got",
             pp="got", ing="getting"),
    "check": V("check", "person,group,official", (RESULTS, REPORT, EMAILS, SCHEDULE, TICKETS, CALENDAR),
               ANY, purposes=("to avoid mistakes",)),
    "bring": V("bring", "person,group", (BOOK, PRESENT, LAPTOP, PHOTOS, MAP), ANY, past="brought",
               bad_past="bringed"),
    "teach": V("teach", "person,group", (COURSE, HISTORY), ANY, past="taught", bad_past="teached"),
    "catch": V("catch", "person,group", (TRAIN, BUS), ANY, past="caught", bad_past="catched"),
    "lose": V("lose", "person,group", (KEYS, WALLET, UMBRELLA), TOWN, past="lost", bad_past="losed"),
    "find": V("find", "person,group", (KEYS, WALLET, UMBRELLA, PHOTOS, DOCUMENTS), ANY, past="found",
              bad_past="finded"),
    "open": V("open", "person,group,org", (SHOP, WINDOWS, ACCOUNT, OFFICE), ANY),
    "close": V("close", "person,group,org", (SHOP, WINDOWS, OFFICE, ACCOUNT), ANY),
    "cancel": V("cancel", "person,group,org,official", (MEETING, TRIP, ORDER, CONCERT, PARTY), ANY,
                past="cancelled", ing="cancelling", purposes=("to save money",)),
    "choose": V("choose", "person,group,official", (DESIGN, RESTAURANT, HOTEL, BOOK), ANY, past="chose",
                pp="chosen", bad_past="choosed"),
    "plant": V("plant", "person,group,org", (TREES, FLOWERS, TOMATOES), ("in the garden", "in the park"),
               purposes=("to improve the view",)),
    "water": V("water", "person,group", (PLANTS, GARDEN, FLOWERS, TREES), ANY),
    "feed": V("feed", "person,group", (CAT, DOG, BIRDS, CHICKENS), ("in the garden", "in the park"),
              past="fed", bad_past="feeded"),
    "wash": V("wash", "person,group", (CAR, DISHES, CLOTHES, WINDOWS), ANY),
    "practise": V("practise", "person,group", (PIANO, SPEECH, SONG), ("at home", "at school"), durable=True,
                  purposes=("to prepare for the concert",)),
    "protect": V("protect", "org,group", (ENVIRONMENT, FOREST, RIVER), ANY),
    "publish": V("publish", "org,official,group", (REPORT, ARTICLE, RESULTS, STUDY, BOOK), ANY),
    "announce": V("announce", "org,official", (RESULTS, PLAN, SCHEDULE, DECISION, IMPROVEMENTS, REFORM), ANY),
    "deliver": V("deliver", "person,group", (PACKAGE, PARCEL, LETTER, REPORT, SPEECH), ANY),
    "rent": V("rent", "person,group,org", (FLAT, CAR, OFFICE, BICYCLE, ROOM), ANY),
    "book": V("book", "person,group", (TICKETS, HOTEL, ACCOMMODATION, TABLE, ROOM), ANY,
              purposes=("to save money",)),
    "study": V("study", "person,group", (REPORT, RESULTS, MAP, HISTORY), STUDY_PLACES, durable=True),
    "update": V("update", "person,group,org,official", (SCHEDULE, CALENDAR, ADDRESS, DESIGN, REPORT), ANY),
    "present": V("present", "person,group,official,org", (RESULTS, PLAN, PROPOSAL, DESIGN, SOLUTION, STUDY),
                 WORK_PLACES),
}

# Paraphrase: verb synonyms (base of the replacement), used in the active voice only.
VERB_SYNONYMS: dict[str, dict] = {
    "finish": V("complete", "", ()), "start": V("begin", "", (), past="began", pp="begun", ing="beginning"),
    "repair": V("fix", "", ()), "buy": V("purchase", "", ()), "help": V("assist", "", ()),
    "cancel": V("call off", "", (), s3="calls off", past="called off", ing="calling off"),
    "choose": V("select", "", ()), "build": V("construct", "", ()), "receive": V("get", "", (), past="got"),
    "check": V("inspect", "", ()), "organize": V("arrange", "", ()),
    "reject": V("turn down", "", (), s3="turns down", past="turned down", ing="turning down"),
    "publish": V("release", "", ()), "review": V("examine", "", ()), "discuss": V("talk about", "", (),
                 s3="talks about", past="talked about", ing="talking about"),
}
ADJ_SYNONYMS: dict[str, str] = {
    "large": "big", "detailed": "thorough", "final": "last", "annual": "yearly", "revised": "updated",
    "short": "brief", "long": "lengthy", "local": "nearby", "expensive": "costly", "cheap": "inexpensive",
    "difficult": "hard", "main": "principal", "urgent": "pressing",
}
TIME_SYNONYMS: dict[str, str] = {
    "every morning": "each morning", "every evening": "each evening", "every day": "each day",
    "twice a week": "two times a week", "on Mondays": "every Monday", "on Saturdays": "every Saturday",
    "last night": "yesterday evening", "two days ago": "the day before yesterday",
    "every weekend": "each weekend", "later today": "later in the day", "this morning": "earlier today",
}
PLACE_SYNONYMS: dict[str, str] = {
    "near the station": "close to the station", "in the city centre": "in the centre of the city",
    "at the office": "in the office", "around the lake": "round the lake",
}

# Time adverbials by tense. Fronted with a comma when they start the sentence.
PRESENT_TIMES = ("every morning", "every evening", "every day", "every weekend", "on Mondays", "on Saturdays",
                 "twice a week", "once a month", "every Friday", "every Wednesday", "in the mornings",
                 "at about noon every day", "every summer")
PAST_TIMES = ("yesterday", "last week", "on Monday", "on Friday afternoon", "last night", "two days ago",
              "in March", "last year", "this morning", "on Wednesday", "in February", "last month",
              "a few weeks ago", "last summer", "on Tuesday evening", "at the beginning of the week",
              "at about noon yesterday")
FUTURE_TIMES = ("tomorrow", "next week", "next Monday", "on Friday", "later today", "next month",
                "tomorrow morning", "in the spring", "on Wednesday", "next year", "at the end of the month",
                "soon")
PERFECT_TIMES = ("this week", "this month", "this year", "twice this week")
PERFECT_ADVERBS = ("already", "recently", "just")
FUTURE_ADVERBS = ("definitely", "probably")
DAY_TIMES = ("yesterday", "on Monday", "on Friday afternoon", "last night", "this morning", "on Wednesday",
             "on Tuesday evening", "at about noon yesterday", "on Saturday morning")
DURATIONS = ("for about an hour", "for about two hours", "for about twenty minutes", "for about half an hour")

# GEC: wrong prepositions in time and place phrases (correct -> learner's error).
BAD_PREPOSITIONS: dict[str, str] = {
    "on Monday": "in Monday", "on Friday afternoon": "in Friday afternoon", "in March": "on March",
    "in February": "on February", "on Mondays": "in Mondays", "on Saturdays": "at Saturdays",
    "in the spring": "on the spring", "on Wednesday": "at Wednesday", "at the end of the month":
    "in the end of the month", "in the mornings": "on the mornings", "at home": "in home",
    "on Friday": "in Friday", "on Tuesday evening": "in Tuesday evening", "on the train": "in the train",
    "at the beginning of the week": "in the beginning of the week", "at the market": "in the market",
    "at work": "in work",
}

# GEC: common misspellings and confusions (correct -> error). Matched as whole words.
MISSPELLINGS: dict[str, str] = {
    "receive": "recieve", "receives": "recieves", "received": "recieved", "definitely": "definately",
    "tomorrow": "tommorow", "library": "libary", "restaurant": "restaraunt", "business": "buisness",
    "government": "goverment", "environment": "enviroment", "committee": "commitee",
    "neighbour": "nieghbour", "neighbours": "nieghbours", "colleague": "collegue", "schedule": "shedule",
    "calendar": "calender", "address": "adress", "accommodation": "accomodation", "February": "Febuary",
    "Wednesday": "Wensday", "beginning": "begining", "friend": "freind", "friends": "freinds",
    "necessary": "neccessary", "separate": "seperate", "interesting": "intresting",
    "beautiful": "beautifull", "because": "becuase", "probably": "probaly", "their": "there", "its": "it's",
    "written": "writen", "weather": "wether", "village": "vilage", "recently": "recentley", "already": "allready", "professor": "proffesor", "tourists": "tourits", "grandmother": "granmother",
    "vegetable": "vegatable", "presentation": "presantation", "different": "diffrent",
    "Tuesday": "Tuseday", "holiday": "holliday", "guests": "guets", "results": "resluts",
}

# Simplification: the plain verb (key) is replaced by a rarer one in the complex input.
COMPLEX_VERBS: dict[str, dict] = {
    "use": V("utilize", "", ()), "start": V("commence", "", ()), "buy": V("purchase", "", ()),
    "help": V("assist", "", ()), "need": V("require", "", ()), "show": V("demonstrate", "", ()),
    "build": V("construct", "", ()), "get": V("obtain", "", ()), "check": V("verify", "", ()),
    "finish": V("finalize", "", ()), "write": V("compose", "", ()), "read": V("peruse", "", ()),
    "organize": V("coordinate", "", ()), "find": V("locate", "", ()), "lose": V("misplace", "", ()),
    "approve": V("ratify", "", ()), "review": V("scrutinize", "", ()), "rent": V("lease", "", ()),
    "book": V("reserve", "", ()), "study": V("examine", "", ()), "announce": V("proclaim", "", ()),
    "discuss": V("deliberate on", "", (), s3="deliberates on", past="deliberated on"),
    "visit": V("pay a visit to", "", (), s3="pays a visit to", past="paid a visit to"),
    "repair": V("carry out repairs on", "", (), s3="carries out repairs on", past="carried out repairs on"),
}
# Simplification: plain word or phrase -> rarer one (whole words within nouns, adjectives, times, places).
COMPLEX_WORDS: dict[str, str] = {
    "car": "automobile", "house": "residence", "job": "position", "shop": "establishment",
    "plan": "strategy", "doctor": "physician",
    "large": "substantial", "detailed": "comprehensive", "cheap": "economical", "difficult": "arduous",
    "main": "principal", "long": "lengthy", "more time": "additional time",
    "about": "approximately", "soon": "shortly", "near": "in the vicinity of",
    "at the end of": "at the conclusion of", "at the beginning of": "at the commencement of",
    "last year": "during the previous year", "two days ago": "two days previously",
    "a few weeks ago": "several weeks previously", "next week": "during the following week",
    "later today": "at a later point today",
}

# Simplification: subordinate clauses that make a sentence longer without adding much.
COMPLEX_CLAUSES: dict[str, tuple[str, ...]] = {
    "person": (", who had lived in the area for approximately ten years,",
               ", who had previously worked in a different department,",
               ", who, as was noted by several observers at the time, had very little experience,",
               ", whose previous attempts had not been entirely successful,"),
    "group": (", who had been informed about the matter several weeks in advance,",
              ", who had arrived in the area only recently,",
              ", who, as was noted by several observers at the time, were rather tired,"),
    "org": (", which had been established approximately two years earlier,",
            ", which, as was noted by several observers at the time, had been under considerable pressure,",
            ", which is responsible for numerous local services,"),
}
COMPLEX_TAILS: tuple[str, ...] = (
    ", as had been anticipated by numerous observers",
    ", in accordance with the schedule that had been agreed upon previously",
    ", which was consistent with what had been expected by the majority of people",
)

# Clarity: wordy sentence openers, fillers, and redundant expansions of time phrases.
WORDY_OPENERS = ("It is important to note that", "It should be noted that", "It is worth mentioning that",
                 "Basically,", "As a matter of fact,", "In actual fact,", "For all intents and purposes,")
WORDY_OPENERS_PAST = ("What happened was that", "The fact of the matter is that")
FILLERS = ("actually", "basically", "really", "essentially", "sort of", "kind of", "literally")
WORDY_PURPOSE = ("in order to", "so as to", "for the purpose of")  # the last takes an -ing verb
WORDY_TIMES: dict[str, str] = {
    "every morning": "each and every morning", "every day": "each and every day",
    "every evening": "each and every evening", "in March": "during the month of March",
    "in February": "during the month of February", "last year": "during the course of last year",
    "this year": "during the course of this year", "soon": "in the very near future",
    "later today": "at a later point in time today", "next month": "at some point during next month",
    "every summer": "each and every summer", "last summer": "during the course of last summer",
    "in the spring": "during the springtime season", "twice a week": "two times per week",
    "at the end of the month": "at the final end of the month", "next year": "at some point during next year",
}
WORDY_PLACES: dict[str, str] = {
    "in the park": "in the area of the park", "in the city centre": "in the central area of the city",
    "near the station": "in close proximity to the station", "in the library": "inside of the library",
    "in the garden": "out in the garden area",
}
# Reasons as (past, present) forms, and the verbs each kind of reason reads naturally with.
REASONS: dict[str, tuple[tuple[str, str], ...]] = {
    "deadline": (("because the deadline was close", "because the deadline is close"),
                 ("because the director asked for it", "because the director asks for it")),
    "cost": (("because it was cheaper", "because it is cheaper"),
             ("because the prices were low", "because the prices are low")),
    "weather": (("because the weather was good", "because the weather is good"),
                ("because it was sunny", "because it is sunny")),
    "broken": (("because the old one was broken", "because the old one is broken"),),
    "convenient": (("because it was more convenient", "because it is more convenient"),
                   ("because it was quicker", "because it is quicker")),
}
VERB_REASONS: dict[str, tuple[str, ...]] = {
    "finish": ("deadline",), "write": ("deadline",), "review": ("deadline",), "check": ("deadline",),
    "prepare": ("deadline",), "discuss": ("deadline",), "approve": ("deadline",), "publish": ("deadline",),
    "update": ("deadline",), "present": ("deadline",), "sign": ("deadline",), "study": ("deadline",),
    "buy": ("cost", "broken"), "rent": ("cost", "convenient"), "book": ("cost", "convenient"),
    "use": ("cost", "convenient"), "choose": ("cost", "convenient"), "repair": ("cost", "broken"),
    "walk": ("weather",), "paint": ("weather",), "plant": ("weather",), "wash": ("weather",),
    "water": ("weather",), "visit": ("weather", "convenient"), "catch": ("convenient",),
    "cook": ("convenient", "cost"), "sell": ("broken",),
}
# Verbs that make something: "old" does not go with their objects ("built the old fence").
CREATION_VERBS = ("build", "write", "cook", "prepare", "organize", "plant", "publish", "present")
# Verbs whose passive reads oddly ("the last bus was caught by the mayor").
NO_PASSIVE_VERBS = ("catch", "get", "need", "practise", "lose", "find")
# Verbs that describe one-off events: never in the habitual present ("publishes the study every day").
ONE_OFF_VERBS = ("approve", "reject", "build", "sell", "sign", "finish", "start", "publish", "announce",
                 "cancel", "choose", "rent", "lose", "find", "repair", "paint", "present", "update")
WORDY_BECAUSE = ("due to the fact that", "owing to the fact that", "in view of the fact that")

# Neutralize: loaded words (subjective framing) added to a neutral sentence.
LOADED_PERSON_ADJS = ("brilliant", "talented", "incompetent", "arrogant", "beloved", "legendary", "heroic",
                      "lazy", "notorious", "generous", "courageous", "hopeless", "visionary")
LOADED_GROUP_ADJS = ("heroic", "lazy", "hardworking", "selfless", "clueless", "tireless", "reckless")
LOADED_ORG_ADJS = ("incompetent", "corrupt", "greedy", "respected", "notorious", "inept", "admirable")
LOADED_IDEA_ADJS = ("disastrous", "ridiculous", "brilliant", "outrageous", "pointless", "shameful", "misguided",
                    "excellent", "controversial", "reckless", "flawed", "groundbreaking", "absurd")
LOADED_THING_ADJS = ("wonderful", "magnificent", "useless", "hideous", "gorgeous", "ridiculous", "awful", "ugly",
                     "overpriced", "pathetic", "splendid")
LOADED_ANIMATE_ADJS = ("beloved", "adorable", "poor", "spoiled", "lovely", "annoying")
LOADED_SENTENCE_ADVERBS = ("Shockingly,", "Sadly,", "Unfortunately,", "Predictably,", "Remarkably,",
                           "Thankfully,", "Outrageously,", "Amazingly,", "Disappointingly,")
LOADED_VERB_ADVERBS = ("finally", "reluctantly", "proudly", "cleverly", "foolishly", "bravely",
                       "stubbornly", "generously", "shamelessly", "wisely")

# Coherence: two-sentence templates. {S} subject, {P} its pronoun, {p} possessive, {be} was/were,
# {T} a past time, {PLACE} a destination. Each relation has the right connectives and wrong ones.
RESULT_PAIRS: tuple[tuple[str, str, str], ...] = (  # (subject tags, cause, effect)
    ("person,group", "{S} missed the bus {T}", "{P} arrived late at {PLACE}"),
    ("person,group", "{S} worked late every evening last week", "{P} {be} very tired by Friday"),
    ("person", "{S} forgot {p} umbrella at home {T}", "{P} got wet on the way to {PLACE}"),
    ("person,group", "{S} practised every day for a month", "{P} played very well at the concert"),
    ("person,group", "{S} studied hard for the exam", "{P} passed it easily"),
    ("person,group", "{S} lost {p} keys {T}", "{P} could not get into the house"),
    ("person,group", "{S} did not check the weather forecast {T}", "{P} got caught in the rain"),
    ("person,group", "{S} saved money for two years", "{P} could finally buy a new car"),
    ("person,group", "{S} left home early {T}", "{P} arrived at {PLACE} on time"),
    ("org,official", "{S} did not approve the budget in time", "the project was delayed by two months"),
    ("org", "{S} hired more staff {T}", "waiting times became much shorter"),
    ("official", "{S} lowered the price of public transport {T}", "more people started taking the bus"),
    ("org", "{S} opened a new branch {T}", "{P} needed more employees"),
)
CONTRAST_ENDINGS: tuple[str, ...] = ("{P} did not have enough time", "{P} had to postpone {it}",
                                     "{P} {be} too busy with other work", "{P} changed {p} mind",
                                     "{P} could not find anyone to help")
RESULT_CONNECTIVES = ("As a result,", "Therefore,", "Because of this,")
CONTRAST_CONNECTIVES = ("However,",)
SEQUENCE_CONNECTIVES = ("Then", "After that,", "Later,")
DESTINATIONS = ("work", "school", "the meeting", "the office", "the station", "the airport")
