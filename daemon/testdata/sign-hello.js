// The seed's Lit Action ("Generating a Session Key", Lit v2): every node
// signs toSign with its share of the PKP publicKey under the name sigName;
// the client combines the shares into one signature.
// jsParams: toSign (bytes, e.g. "Hello World"), publicKey ("04..."), sigName.
const go = async () => {
  const sigShare = await LitActions.signEcdsa({ toSign, publicKey, sigName });
};

go();
