# ruff: noqa: E501  (spoken sentences read better whole than split across lines)
"""Wording for the synthetic demo conversations: tenants' ways of saying things, Jamie's
house-style replies (acknowledge, say what happens next, say when), and follow-ups.

Slots: {unit}, {name}, {first}, {window}, {day}, {item}. All names and places are fictional.
"""

from __future__ import annotations

FIRST_NAMES = [
    "Avery",
    "Jordan",
    "Riley",
    "Casey",
    "Morgan",
    "Quinn",
    "Rowan",
    "Sawyer",
    "Emerson",
    "Harper",
    "Finley",
    "Dakota",
    "Reese",
    "Skyler",
    "Parker",
    "Hayden",
]
LAST_NAMES = [
    "Testwood",
    "Sampleton",
    "Fictorio",
    "Demoly",
    "Placeholt",
    "Mockridge",
    "Exampleby",
    "Fakenham",
]
UNITS = [
    "unit 4B",
    "unit 12",
    "apartment 203",
    "unit 7A",
    "apartment 310",
    "unit 15C",
    "townhome 9",
    "unit 2D",
    "apartment 118",
    "unit 21",
]
WINDOWS = [
    "between nine and noon",
    "between one and four",
    "first thing in the morning",
    "late this afternoon",
    "before five today",
]
DAYS = ["today", "tomorrow", "on Monday", "on Tuesday", "on Thursday"]

OPENING_MOODS = [
    "Hi Jamie, ",
    "Hey, ",
    "Hi, this is {name} in {unit}. ",
    "Good morning. ",
    "Sorry to bother you, but ",
    "Ugh, ",
    "Hello? Yes, hi. ",
    "Hi there, ",
    "",
]
CLOSING_MOODS = [
    "",
    "",
    " It's getting worse.",
    " Whenever you get a chance.",
    " This is the second time this month.",
    " I'm really frustrated.",
    " Can someone help?",
]

ACKNOWLEDGE = {
    "calm": [
        "Thanks for letting me know, {first}.",
        "Got it, {first}, thanks for calling.",
        "Okay, I understand.",
    ],
    "upset": [
        "I'm sorry you're dealing with that, {first}.",
        "I'm sorry, that sounds really frustrating.",
        "I completely understand, and I'm sorry about the trouble.",
    ],
}

CATEGORIES: dict[str, dict[str, list[str]]] = {
    "hvac": {
        "openers": [
            "my AC stopped blowing cold air.",
            "the heater in {unit} isn't turning on.",
            "the thermostat says seventy eight but it feels way hotter.",
            "the furnace is making a loud banging noise.",
            "there's no cold air coming out of the vents.",
            "my air conditioner keeps shutting off after a few minutes.",
            "the heat pump is running nonstop but the place is still cold.",
        ],
        "next": [
            "I'm putting in a work order for our HVAC technician to come out {day} {window}.",
            "I'll have our heating and cooling tech stop by {day} {window} to take a look.",
            "I'm scheduling a technician to come {day} {window} to check the system.",
        ],
        "tips": [
            "In the meantime, try setting the thermostat to auto and checking the filter.",
            "Until then, keep the blinds closed and a fan running if you have one.",
            "",
        ],
    },
    "plumbing": {
        "openers": [
            "my kitchen sink is leaking under the cabinet.",
            "the toilet keeps running all night.",
            "the bathroom sink is clogged and won't drain.",
            "there's a slow drip from the shower head.",
            "we don't have any hot water.",
            "the faucet in the kitchen won't shut off all the way.",
            "water is leaking from the water heater closet.",
        ],
        "next": [
            "I'm sending our plumber out {day} {window}.",
            "I've put in a plumbing work order and the plumber will come by {day} {window}.",
            "I'll get maintenance out {day} {window} to fix it.",
        ],
        "tips": [
            "If it gets worse, you can turn the valve under the sink to the right to shut it off.",
            "Please put a towel or a bucket under it until then.",
            "",
        ],
    },
    "electrical": {
        "openers": [
            "half the outlets in my living room stopped working.",
            "the lights in the kitchen keep flickering.",
            "a breaker keeps tripping.",
            "the bathroom outlet doesn't have power.",
            "the light switch in the hallway is dead.",
        ],
        "next": [
            "I'm having our electrician come by {day} {window}.",
            "I'll have maintenance come {day} {window} to check the wiring.",
        ],
        "tips": [
            "You can try resetting the breaker in the panel by the front door first.",
            "Please don't use that outlet until it's been checked.",
            "",
        ],
    },
    "appliance": {
        "openers": [
            "the dishwasher is making a grinding noise and not draining.",
            "my fridge stopped keeping things cold.",
            "the oven won't heat up.",
            "the washer is leaking water onto the floor.",
            "the dryer runs but doesn't get hot.",
            "the garbage disposal is jammed.",
            "the ice maker is leaking into the freezer.",
        ],
        "next": [
            "I'm putting in a work order for the {item} and a technician will come {day} {window}.",
            "I'll have maintenance look at the {item} {day} {window}.",
        ],
        "tips": ["", "If it gets worse before then, please unplug it and call me back."],
    },
    "pest": {
        "openers": [
            "I saw a couple of mice in the pantry this morning.",
            "there are ants all over the kitchen counter.",
            "I think we have roaches.",
            "I found droppings under the sink.",
            "there's a wasp nest by my front door.",
        ],
        "next": [
            "I'm scheduling our pest control company for {day} {window}.",
            "I'll have the exterminator treat your unit {day} {window}.",
        ],
        "tips": [
            "Until then, keeping food in sealed containers helps a lot.",
            "Please keep the area clear under the sink so they can get to it.",
            "",
        ],
    },
    "lockout": {
        "openers": [
            "I locked myself out of {unit}.",
            "I lost my keys and I can't get in.",
            "my key fob stopped working at the front gate.",
            "the lock on my door is broken.",
        ],
        "next": [
            "I'm sending someone with a spare key within the hour.",
            "Maintenance will meet you at your door in about thirty minutes.",
            "I'll have a new fob ready at the office {day} {window}.",
        ],
        "tips": [
            "They'll ask for your ID, so please have it handy.",
            "There may be a lockout fee on your next statement.",
            "",
        ],
    },
    "payment": {
        "openers": [
            "when is rent due this month?",
            "can I pay my rent online?",
            "I was charged a late fee but I paid on time.",
            "I need a receipt for last month's rent.",
            "can I set up autopay?",
            "my payment didn't go through on the portal.",
        ],
        # One answer per opener, in the same order: these questions have one right reply.
        "answers": [
            "Rent is due on the first, and the grace period ends on the fifth. I'll text you a reminder link today.",
            "Yes, you can pay on the resident portal. I'm texting you the link right now.",
            "I'm sorry about that. I'll check your ledger and call you back {day} {window}.",
            "Of course. I'll email you the receipt {day}.",
            "Yes, autopay is on the resident portal. I'm texting you the link right now so you can set it up.",
            "I'm sorry about that. I'll look at the payment on our side and call you back {day} {window}.",
        ],
        "tips": ["Rent is due on the first, and the grace period ends on the fifth.", ""],
    },
    "lease": {
        "openers": [
            "I want to renew my lease.",
            "can I add my partner to the lease?",
            "what's the pet policy?",
            "I might need to break my lease early.",
            "can I get a copy of my lease?",
        ],
        # One answer per opener, in the same order: these questions have one right reply.
        "answers": [
            "Great, we'd love to have you stay. I'll send the renewal paperwork to your email {day}.",
            "Sure. I'm emailing you the roommate application, and we'll review it within two business days.",
            "Cats and small dogs are welcome with a pet deposit. I'll email you the full pet policy {day}.",
            "I understand. I'll email you the early termination options {day}, and we can talk through them after.",
            "Of course. I'll send you a copy of your lease {day}.",
        ],
        "tips": ["", "If you have questions after reading it, just call me back."],
    },
    "move_in_out": {
        "openers": [
            "I'm moving out at the end of next month.",
            "when is my move-in walkthrough?",
            "how do I get my security deposit back?",
            "I need to schedule my move out inspection.",
            "where do I return my keys when I move out?",
        ],
        # One answer per opener, in the same order: these questions have one right reply.
        "answers": [
            "Thanks for letting me know. I'm noting your notice to vacate today, and I'll email you the move-out checklist.",
            "Sure. I've set your walkthrough {day} {window}, and I'll send you a confirmation.",
            "Your deposit goes out within thirty days of move-out. I'll email you the details {day}.",
            "Sure. I've set your move-out inspection {day} {window}, and I'll send you a confirmation.",
            "Please drop the keys in the office drop box on your last day. I'll email you a reminder {day}.",
        ],
        "tips": ["Please drop the keys in the office drop box.", ""],
    },
    "noise": {
        "openers": [
            "my upstairs neighbor is playing loud music every night after midnight.",
            "the dog next door barks all day.",
            "there's a party next door and it's really loud.",
            "someone upstairs is stomping around at two in the morning.",
        ],
        "next": [
            "I'm sending a quiet hours reminder to that unit today.",
            "I'll reach out to your neighbor {day} and follow up with you after.",
        ],
        "tips": ["If it happens again tonight, please call the courtesy line.", ""],
    },
    "general_maintenance": {
        "openers": [
            "my bedroom window won't close all the way.",
            "the closet door came off its track.",
            "there's a crack in the ceiling drywall.",
            "the smoke detector keeps chirping.",
            "one of the blinds is broken.",
            "the screen door is ripped.",
        ],
        "next": [
            "I'm putting in a work order and maintenance will come {day} {window}.",
            "I'll have maintenance fix it {day} {window}.",
        ],
        "tips": ["Please clear a little space around it so they can get right to work.", ""],
    },
    "general_question": {
        "openers": [
            "what are the office hours?",
            "where can I park a guest car?",
            "a package was delivered but I can't find it.",
            "when is trash pickup?",
            "is the pool open this weekend?",
            "do you have recycling bins?",
        ],
        # One answer per opener, in the same order: these questions have one right reply.
        "answers": [
            "The office is open nine to five on weekdays. I'll text you the details now.",
            "Guests can park in the visitor spots by the front office. I'll text you the parking rules now.",
            "I'm sorry about that. I'll check with the leasing office and call you back {day} {window}.",
            "Trash goes out Monday and Thursday mornings. I'll email you the schedule {day}.",
            "The pool is open this weekend from ten to eight. I'll text you the hours now.",
            "Yes, the recycling bins are next to the trash enclosure. I'll email you the community guide {day}.",
        ],
        "tips": [""],
    },
}

APPLIANCE_ITEMS = {
    "dishwasher": "dishwasher",
    "fridge": "refrigerator",
    "oven": "oven",
    "washer": "washer",
    "dryer": "dryer",
    "disposal": "garbage disposal",
    "ice maker": "ice maker",
}

# Tenants' words for each emergency case of config/safety/emergencies.toml; Jamie's reply is
# the case's reviewed safety sentence and the handoff line, exactly as the turn engine says them.
EMERGENCY_OPENERS: dict[str, list[str]] = {
    "gas_leak": [
        "I smell gas in my kitchen.",
        "it smells like gas in the hallway.",
        "there's a strong gas smell near the stove.",
    ],
    "fire": [
        "my kitchen is on fire.",
        "I see flames in the laundry room.",
        "there's a grease fire on my stove.",
    ],
    "carbon_monoxide": [
        "the carbon monoxide detector is going off.",
        "my CO alarm keeps beeping and I have a headache.",
    ],
    "smoke": ["there's smoke coming from the unit next door.", "smoke is coming out of the vents."],
    "sparking_outlet": [
        "the outlet in my bedroom is sparking.",
        "there are sparks coming from the wall outlet.",
    ],
    "flooding": [
        "a pipe burst and there's water everywhere.",
        "my bathroom is flooding.",
        "water is pouring through the ceiling.",
    ],
    "sewage_backup": [
        "sewage is backing up into the tub.",
        "there's raw sewage coming up the drain.",
    ],
    "no_heat_freezing": [
        "we have no heat and it's freezing inside.",
        "the heat is out and it's below freezing tonight.",
    ],
    "child_locked_inside": [
        "my baby is locked inside the apartment.",
        "I stepped out and my kid is locked inside.",
    ],
}

EMERGENCY_FOLLOW_UPS = [
    (
        "Okay, I'm outside now.",
        "Good, please stay out until the responders say it's safe. "
        "Our on-call person will call you within fifteen minutes.",
    ),
    (
        "Should I call anyone else?",
        "You did the right thing calling. Our on-call person will "
        "call you within fifteen minutes and take it from there.",
    ),
]

REPAIR_CATEGORIES = {
    "hvac",
    "plumbing",
    "electrical",
    "appliance",
    "pest",
    "lockout",
    "general_maintenance",
}

REPAIR_FOLLOW_UPS = [
    (
        "Do I need to be home for that?",
        "No need, they can let themselves in with a key, and they'll leave a note "
        "when they're done.",
    ),
    (
        "How long will it take?",
        "Most repairs like this take about an hour. If they need a part, they'll tell you the new "
        "time before they leave.",
    ),
    (
        "Can you text me when they're on the way?",
        "Yes, I'll make sure you get a text about thirty minutes before they arrive.",
    ),
    ("What if it happens again?", "Just call me back and I'll reopen the work order right away."),
    ("Is there a charge for that?", "No, this repair is covered, so there's no charge to you."),
]
OFFICE_FOLLOW_UPS = [
    (
        "Will I get something in writing?",
        "Yes, you'll get an email confirmation today, and you can reply to it with any questions.",
    ),
    (
        "How long does that usually take?",
        "Usually one or two business days. I'll call you if anything holds it up.",
    ),
    (
        "Can you call me instead of emailing?",
        "Of course, I'll call you {day} {window} with an update.",
    ),
    (
        "Who do I talk to if I have more questions?",
        "You can call me directly at this number, and I'll help you out.",
    ),
    (
        "Is there a fee for that?",
        "No, there's no fee for that, and I'll note it on your account today.",
    ),
]
CLOSINGS = [
    ("Okay, thank you so much.", "You're welcome, {first}. Have a good day."),
    ("Great, that's all I needed.", "Happy to help. Call me anytime."),
    ("Thanks Jamie.", "Of course. Take care, {first}."),
]
