"""Name pools for synthetic people: common first names and surnames combined at random, never a real record.

The pools deliberately hold apostrophes, hyphens, spaces and accented letters (all within Windows-1252, so that a
file rendered in that encoding can carry them), because real extracts do and loaders break on them.
"""

from __future__ import annotations

import numpy as np

FORENAMES_MALE = """
Oliver George Harry Noah Jack Leo Arthur Muhammad Oscar Charlie Jacob Thomas Henry William Freddie Alfie Theo
Archie Joshua James Alexander Isaac Edward Lucas Tommy Finley Max Logan Ethan Mason Harrison Reggie Albie Jude
Joseph Samuel Daniel Sebastian Ronnie Teddy Hugo Elijah Rory Louie Dylan Jaxon Reuben Benjamin Zachary Toby Arlo
Frankie Caleb Harley Riley Kai Jenson Stanley Ezra Bobby Elliot Jayden Tyler Kian Ryan Connor Callum Liam Nathan
Aaron Kyle Ashton Brandon Declan Jamie Lewis Owen Seán Dáithí José André Noël Jérôme Ciarán Eoin Oisín Rónán
Mohammed Ibrahim Yusuf Ayaan Zain Hamza Arjun Rohan Aarav Kacper Jakub Szymon Filip Antoni Oluwaseun Chidi Kwame
Tobi Mateo Luca Rafael Nicolás Matías Kayden D'Andre Jean-Luc Tyrese Marcus Kofi Emre Ömer
"""

FORENAMES_FEMALE = """
Olivia Amelia Isla Ava Ivy Freya Lily Florence Mia Willow Rosie Sophia Isabella Grace Daisy Sienna Poppy Elsie
Emily Ella Evelyn Phoebe Sofia Evie Charlotte Harper Millie Matilda Maya Sophie Alice Emilia Isabelle Ruby Luna
Maisie Aria Penelope Mila Bonnie Eva Hallie Eliza Ada Violet Esme Arabella Imogen Jessica Delilah Chloe Layla
Megan Lauren Courtney Jade Shannon Kayleigh Leah Paige Amber Bethany Caitlin Niamh Aoife Siobhán Róisín Saoirse
Clodagh Zoë Chloé Renée Léa Amélie Zoé Anaïs Mégane Hélène Noémie Aisha Fatima Maryam Zara Hafsa Amira Priya
Anaya Diya Saanvi Zuzanna Julia Maja Hanna Oliwia Ngozi Adaeze Chiamaka Abena Ama Folake Yasmin Nadia Leila
Inès Chantelle Shanice Kiera Tia-Mai Mary-Jane Anne-Marie D'Arcy Öykü
"""

SURNAMES = """
Smith, Jones, Williams, Taylor, Brown, Davies, Evans, Wilson, Thomas, Johnson, Roberts, Robinson, Thompson, Wright,
Walker, White, Edwards, Hughes, Green, Hall, Lewis, Harris, Clarke, Patel, Jackson, Wood, Turner, Martin, Cooper,
Hill, Ward, Morris, Moore, Clark, Lee, King, Baker, Harrison, Morgan, Allen, James, Scott, Phillips, Watson, Davis,
Parker, Price, Bennett, Young, Griffiths, Mitchell, Kelly, Cook, Carter, Richardson, Bailey, Collins, Bell, Shaw,
Murphy, Miller, Cox, Richards, Khan, Marshall, Anderson, Simpson, Ellis, Adams, Singh, Begum, Wilkinson, Foster,
Chapman, Powell, Webb, Rogers, Gray, Mason, Ali, Hunt, Hussain, Campbell, Matthews, Owen, Palmer, Holmes, Mills,
Barnes, Knight, Lloyd, Butler, Russell, Barker, Fisher, Stevens, Jenkins, Murray, Dixon, Harvey, Graham, Pearson,
Ahmed, Fletcher, Walsh, Kaur, Gibson, Howard, Andrews, Stewart, Elliott, Reynolds, Saunders, Payne, Fox, Ford,
Pearce, Day, Brooks, West, Lawrence, Cole, Atkinson, Bradley, Spencer, Gill, Dawson, Ball, Burton, O'Brien, Watts,
Rose, Booth, Perry, Ryan, Grant, Wells, Armstrong, Francis, Rees, Hayes, Hart, Hudson, Newman, Barrett, Webster,
Hunter, Gregory, Carr, Lowe, Page, Marsh, Riley, Dunn, Woods, Parsons, Berry, Stone, Reid, Holland, Hawkins,
Harding, Porter, Robertson, Newton, Oliver, Reed, Kennedy, Williamson, Bird, Gardner, Shah, Dean, Lane, Cooke,
Bates, Henderson, Parry, Burgess, Bishop, Walton, Burns, Nicholson, Shepherd, Ross, Cross, Long, Freeman, Warren,
Nicholls, Hamilton, Byrne, Sutton, McDonald, Yates, Hodgson, Robson, Curtis, Hopkins, O'Connor, Harper, Coleman,
Watkins, Moss, McCarthy, Chambers, O'Neill, Griffin, Sharp, Hardy, Wheeler, Potter, Osborne, Johnston, Gordon,
Doyle, Wallace, George, Jordan, Hutchinson, Rahman, Mahmood, Chaudhry, Akhtar, Iqbal, Nowak, Kowalski, Lewandowski,
Okafor, Adeyemi, Mensah, Boateng, Osei, Nwosu, Da Silva, Dos Santos, D'Souza, Fernandes, Rodrigues, Pereira, Núñez,
García, Müller, Öztürk, Ní Bhriain, Ó Súilleabháin, MacGréagóir, Smith-Jones, Taylor-Brown, Hughes-Parry,
Ashworth-Lee, Fitz-Gerald, St John, Van der Berg, De Souza, Le Roux, O'Sullivan, O'Reilly, O'Donnell, D'Arcy,
McAllister, MacLeod, Ó Ceallaigh, Nkemelu, Ogunleye, Abdi, Farah, Warsame, Mohamud, Chowdhury, Miah, Uddin
"""


def _pool(text: str, sep: str | None) -> np.ndarray:
    """A sorted pool; every name must be encodable in Windows-1252 (a messy extract may be written in it)."""
    words = sorted({w.strip() for w in (text.replace("\n", ",").split(",") if sep else text.split()) if w.strip()})
    for word in words:
        word.encode("cp1252")
    return np.array(words, dtype=object)


MALE = _pool(FORENAMES_MALE, None)
FEMALE = _pool(FORENAMES_FEMALE, None)
SURNAME = _pool(SURNAMES, ",")


def forenames(rng: np.random.Generator, sex: np.ndarray) -> np.ndarray:
    """First names matching the recorded sex (either pool for unknown)."""
    out = np.where(rng.random(len(sex)) < 0.5, MALE[rng.integers(0, len(MALE), len(sex))],
                   FEMALE[rng.integers(0, len(FEMALE), len(sex))])
    male = sex == "M"
    female = sex == "F"
    out[male] = MALE[rng.integers(0, len(MALE), int(male.sum()))]
    out[female] = FEMALE[rng.integers(0, len(FEMALE), int(female.sum()))]
    return out


def surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    return SURNAME[rng.integers(0, len(SURNAME), n)]
