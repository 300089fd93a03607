"""briefer.quoting's rules, one by one: when a summary drops what its source says and gives way to the quote."""

from __future__ import annotations

from briefer.quoting import quote_instead


def test_a_sentence_that_drops_a_model_number_gives_way_to_the_quote():
    source = "As China works to overcome its dependence on foreign chips, it has relied on stockpiling Nvidia's H20 chips."
    assert quote_instead("China relies on alternative sources, including Nvidia chips.", source)
    assert not quote_instead("China has been stockpiling Nvidia's H20 chips to make up for foreign supply.", source)


def test_a_summary_that_keeps_the_headline_figure_stays_the_models_own():
    source = ("Later that day, President Trump announced that he was imposing a temporary 10% surcharge on imports "
              "using Section 122 of the Trade Act of 1974 (19 U.S.C. §2132).")
    assert not quote_instead("President Trump imposed a temporary 10% import surcharge under Section 122.", source)
    assert quote_instead("President Trump imposed a temporary import surcharge.", source)  # every figure gone


def test_a_list_number_or_a_statute_number_is_no_figure_a_summary_must_keep():
    """"figures dropped" quoted "Each agency's head must submit an inventory and strategy annually." because its
    source numbered the two things "1)" and "2)"; a statute's or a circular's number is a name, not a finding."""
    from briefer.quoting import quote_reason

    inventory = ("The head of each agency is required to submit to 0MB annually 1) a comprehensive inventory of the "
                 "data centers owned by the agency, and 2) a multi-year strategy to consolidate them.")
    assert quote_reason("Each agency's head must submit an inventory and a consolidation strategy annually.",
                        inventory) is None
    review = "Under Section 309 of the Clean Air Act, EPA reviews environmental impact statements under 40 U.S.C. 11103."
    assert quote_reason("EPA reviews environmental impact statements of other agencies.", review) is None
    # a finding beside a statute's number must still be kept
    funds = "Under Section 122, the President imposed a 10% surcharge on imports for 150 days."
    assert quote_reason("The President imposed a surcharge on imports.", funds) == "figures dropped"


def test_a_part_is_not_made_the_whole():
    """A judge rejected "M-13-13 still requires that information be inventoried" for "these types of information"."""
    from briefer.quoting import quote_reason, widens_scope

    source = ("M-13-13 still requires that these types of information be inventoried in an Enterprise Data Inventory "
              "regardless of whether they are considered open data.")
    assert widens_scope("M-13-13 requires that information be inventoried in an Enterprise Data Inventory.", source)
    assert not widens_scope("Datasets were selected only if they covered all 50 states.",
                            "Datasets were only selected if they were accurate for all 50 states.")
    agencies = "Many Federal agencies already use bug bounties to find vulnerabilities in their systems."
    assert quote_reason("Federal agencies use bug bounties to find vulnerabilities.", agencies) == "scope widened"
    assert quote_reason("Many agencies use bug bounties to find vulnerabilities.", agencies) is None
    guide = "The institute wrote The CERT Guide to Coordinated Vulnerability Disclosure after many disclosures."
    assert quote_reason("The institute wrote The CERT Guide to Coordinated Vulnerability Disclosure.", guide) is None


def test_a_subject_keeps_the_clause_that_bounds_it():
    """A judge rejected "Residents receive a 90% discount" for residents who live inside the zone only."""
    from briefer.quoting import quote_reason

    source = ("Residents who live inside the charging zone receive a 90% discount on the daily charge, provided "
              "they register their vehicle with the council.")
    assert quote_reason("Residents receive a 90% discount on the charge, provided they register their vehicle "
                        "with the council.", source) == "scope widened"
    assert quote_reason("Residents inside the zone get a 90% discount on the charge if they register their vehicle "
                        "with the council.", source) is None
    # a complement clause later in the source ("request that a court ...") bounds nothing of the subject
    assert quote_reason("Both the DOJ and FTC can request preliminary injunctions on proposed mergers.",
                        "Both the DOJ and FTC have authority to request that a federal court preliminarily enjoin a "
                        "proposed merger.") is None


def test_what_belongs_to_someone_does_not_become_them():
    """A judge rejected "The chamber argues the council ignored small shops and workers." for "the council's
    consultation ignored the cost to small shops"."""
    from briefer.quoting import quote_reason

    source = "The chamber argues that the council's consultation ignored the cost to small shops and to night workers."
    assert quote_reason("The chamber argues the council ignored small shops and night workers.", source) == \
        "owner made actor"
    assert quote_reason("The council's consultation ignored what the charge costs small shops, the chamber argues.",
                        source) != "owner made actor"


def test_what_the_source_says_will_happen_is_not_stated_as_done():
    """Found when "figures dropped" stopped counting "M-25-03": the document "will be issued later this
    calendar year", and the model wrote "The Department issued an updated policy document"."""
    from briefer.quoting import quote_reason

    source = ("The Department developed an updated policy document on data centers that will be issued later this "
              "calendar year.")
    assert quote_reason("The Department issued an updated policy document on data centers.", source) == "future made past"
    assert quote_reason("The Department will issue an updated policy document on data centers.", source) != "future made past"
    assert quote_reason("CISA published a strategy for agencies within 150 calendar days.",
                        "Within 150 calendar days, CISA will publish a strategy for agencies.") == "future made past"


def test_each_quoting_rule_names_itself():
    """bench/own_words.py counts why the model's sentences became quotes; each rule must say which it is."""
    from briefer.quoting import quote_reason

    chips = "As China works to overcome its dependence on foreign chips, it has relied on stockpiling Nvidia's H20 chips."
    assert quote_reason(chips, chips) == "copy"
    assert quote_reason("China relies on alternative sources, including Nvidia chips.", chips) == "model number dropped"
    surcharge = "Later that day, President Trump announced a temporary 10% surcharge on imports under Section 122."
    assert quote_reason("President Trump imposed a temporary import surcharge.", surcharge) == "figures dropped"
    assert quote_reason("President Trump imposed a temporary 10% import surcharge.", surcharge) is None
    iran = "According to official U.S. assessments, Iran halted its nuclear weapons program in late 2003."
    assert quote_reason("Iran halted its nuclear weapons program in late 2003.", iran) == "attribution dropped"
    inventory = ("To understand what data assets they possess, Federal agencies are required to create an "
                 "Enterprise Data Inventory that accounts for all data assets created or collected by the agency.")
    assert quote_reason("Agencies create an inventory of all their data assets.", inventory) == "obligation changed"
    plan = ("The plan seeks to expand China's BeiDou satellite network. It prioritizes developing rail links with "
            "Europe and China's inland ports.")
    assert quote_reason("It gives priority to rail connections to Europe.", plan) == "unresolved reference"
    assert quote_reason("The plan gives priority to rail connections to Europe.", plan) is None
    review = ("As necessary following the issuance of this Directive, CISA will review this Directive to account "
              "for changes in the general cybersecurity landscape.")
    assert quote_reason("CISA will review the Directive for changes in the cybersecurity landscape.", review) == \
        "condition dropped"
    assert quote_reason("As necessary, CISA will review the Directive for changes in the landscape.", review) is None
    layered = "The internet architecture model may provide a helpful approach to understand certain policy issues."
    assert quote_reason("The layered model provides a useful way into certain policy questions.",
                        layered) == "attribution dropped"  # "certain" kept, "may" dropped
    assert quote_reason("The layered model may provide a useful way into certain policy questions.", layered) is None
    congress = "Alternatively, Congress could prohibit the Agencies from requiring merging parties to report certain data."
    assert quote_reason("Congress can prohibit the agencies from asking merging firms for certain data.",
                        congress) == "attribution dropped"
    contact = "Where contact information is known, you should respond to every vulnerability report."
    assert quote_reason("Respond to every vulnerability report you receive.", contact) == "condition dropped"
    datasets = "Datasets were only selected if they were accurate for all 50 states."
    assert quote_reason("Datasets were selected if they covered all 50 states accurately.", datasets) == \
        "condition dropped"
    assert quote_reason("Datasets were selected only if they covered all 50 states accurately.", datasets) is None
    charge = ("The transport department estimates that the charge will raise £48 million a year once cameras are "
              "installed at all 22 entry points.")
    assert quote_reason("The department estimates £48 million will be raised annually from cameras.", charge) == \
        "condition dropped"
    assert quote_reason("The department estimates the charge will raise £48 million a year once cameras are at all "
                        "22 entry points.", charge) is None
    meets = "The board meets once a year to review the £48 million budget."
    assert quote_reason("The board reviews the £48 million budget every year.", meets) is None  # a frequency


def test_a_summary_that_drops_who_says_so_or_how_sure_is_quoted_instead():
    """An independent judge's commonest objection: an assessment, a report or a hedge stated as fact."""
    src = ("According to official U.S. assessments, Iran halted its nuclear weapons program in late 2003.")
    assert quote_instead("Iran halted its nuclear weapons program in late 2003.", src)
    assert not quote_instead("U.S. assessments say Iran halted its nuclear weapons program in late 2003.", src)
    src = "DeepSeek's R1 chatbot was noted as outperforming its counterparts from the US in 2025."
    assert quote_instead("DeepSeek's R1 chatbot outperforms its US counterparts since 2025.", src)
    src = "The council may raise the charge to 12.00 in 2027."
    assert quote_instead("The council will raise the charge to 12.00 in 2027.", src)
    assert not quote_instead("A rise in the charge to 12.00 is possible in 2027.", src)


def test_a_sentence_that_keeps_only_some_of_the_source_years_is_quoted_instead():
    """The years may have moved to other events: "$16.2 billion in April 2026" was imported in 2025."""
    src = ("In 2025, the United States imported $16.2 billion worth of copper products included in the "
           "April 2026 proclamation (Figure 1).")
    assert quote_instead("The US imported $16.2 billion worth of copper products in April 2026.", src)
    assert not quote_instead("In 2025 the US imported $16.2 billion of the copper products that the April 2026 "
                             "proclamation covers.", src)


def test_a_passive_whose_agent_is_no_word_is_no_role_swap():
    """The passive rule reads the word after "by" as the agent; punctuation there is not one (it crashed)."""
    from briefer.reframing import passive_made_active

    assert not passive_made_active("The plan was adopted by the council.", "The plan was adopted by - and others.")
    assert passive_made_active("The plan adopted the council.", "The plan was adopted by the council.")


def test_a_magnitude_in_words_is_a_figure():
    """ "tens of billions of dollars" is how much was invested; a summary without it loses the finding."""
    from briefer.quoting import quote_reason

    source = ("The Chinese government has invested heavily, tens of billions of dollars, in bolstering domestic players "
              "and fostering indigenous innovation in core technological areas.")
    assert quote_reason("The Chinese government has invested heavily in bolstering domestic players.", source) == \
        "figures dropped"
    assert quote_reason("China's government has put tens of billions of dollars into its domestic players and "
                        "indigenous innovation.", source) is None
